"""gzgov: the government systems of the Guangzhou Municipal Gazette 2021 issue 29."""

__version__ = "0.1.0"
