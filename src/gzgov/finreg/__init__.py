"""Off-site supervision of local financial institutions (地方金融监管与风险监测).

Small-loan, financing guarantee, pawn, financial leasing and commercial factoring companies and local
trading venues: registry, data intake, the rule library as data (``rules``), analytics, tiered
supervision, warnings and cases. The rule library's format is described in docs/finreg-rules.md.
"""
