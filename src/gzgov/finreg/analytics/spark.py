"""The rule engine on Spark (PySpark), for when one machine is outgrown: the same compiled rules, the same
verdicts as DuckDB (`gzgov finreg check --engine spark`).

`spark_session()` starts (or joins) the Spark application: master from GZGOV_SPARK_MASTER (default
`local[2]`), no web UI, few shuffle partitions, a modest driver, UTC and ANSI SQL, decimals multiplied without
rounding. `SparkBackend` is the engine's `Backend` on it: every run gets its own session (its temporary views
do not leak into the next run or clash with a concurrent one) over the shared SparkContext. pyspark is
imported only here, and only when Spark is asked for: the rest of the platform does not need it.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from gzgov.config import get_settings
from gzgov.core.errors import GzgovError
from gzgov.finreg.analytics.sql import SPARK

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[2]"
# Per-session SQL settings, set on every run's session so a run never depends on what another changed.
SQL_CONF = {
    "spark.sql.ansi.enabled": "true",  # overflow and bad casts fail the run instead of giving NULL
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",  # L × d keeps every digit, as in DuckDB
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",  # dates as written (proleptic Gregorian)
    "spark.sql.caseSensitive": "false",
}


def _setting(name: str, default: str) -> str:
    return os.environ.get(name) or default


def spark_conf(master: str) -> dict[str, str]:
    """The application's settings; GZGOV_SPARK_DRIVER_MEMORY and GZGOV_SPARK_SHUFFLE_PARTITIONS adjust them."""
    conf = {
        "spark.app.name": "gzgov-finreg",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": _setting("GZGOV_SPARK_DRIVER_MEMORY", "1g"),
        "spark.sql.shuffle.partitions": _setting("GZGOV_SPARK_SHUFFLE_PARTITIONS", "4"),
        "spark.sql.warehouse.dir": str(get_settings().var_dir / "spark-warehouse"),  # not the working directory
        **SQL_CONF,
    }
    if master.startswith("local"):  # one machine: keep the driver off the network
        conf |= {"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "localhost"}
    return conf


def require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise GzgovError(
            "spark_not_installed", "未安装 PySpark，无法使用 Spark 引擎：请安装 spark 扩展（pip install 'gzgov[spark]'）",
            "PySpark is not installed, so the Spark engine is unavailable: install the spark extra "
            "(pip install 'gzgov[spark]')") from None


def java_executable() -> str | None:
    """The java PySpark will launch: $JAVA_HOME/bin/java if JAVA_HOME is set, else java on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        return str(java) if java.is_file() else None
    return shutil.which("java")


def require_java() -> None:
    if java_executable() is None:
        raise GzgovError(
            "spark_java_missing",
            "未找到 Java 运行环境，无法启动 Spark：请安装 Java 17 或以上（如 apt-get install openjdk-17-jre-headless），"
            "或将 JAVA_HOME 指向它",
            "No Java runtime found, so Spark cannot start: install Java 17 or later (e.g. apt-get install "
            "openjdk-17-jre-headless) or point JAVA_HOME at it", java_home=os.environ.get("JAVA_HOME", ""))


def spark_session(master: str | None = None) -> SparkSession:
    """The Spark application of this process (started on first use, joined after): `master`, else
    GZGOV_SPARK_MASTER, else local[2]."""
    require_pyspark()
    require_java()
    from pyspark.sql import SparkSession

    master = master or _setting("GZGOV_SPARK_MASTER", DEFAULT_MASTER)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # one machine: no network address to look up
    builder = SparkSession.builder.master(master)
    for key, value in spark_conf(master).items():
        builder = builder.config(key, value)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
            spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - whatever stopped the JVM or the master, one clear refusal
        raise GzgovError("spark_unavailable", f"Spark 无法启动（master {master}）：{exc}",
                         f"Spark could not be started (master {master}): {exc}") from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkBackend:
    """The engine's Backend on Spark: Parquet read by the executors, views per run, rows collected."""

    dialect = SPARK
    batch_rows: int | None = None  # Spark partitions the grouping itself

    def __init__(self, spark: SparkSession | None = None) -> None:
        self.spark = (spark or spark_session()).newSession()
        for key, value in SQL_CONF.items():
            self.spark.conf.set(key, value)
        self.views: list[str] = []

    def _view(self, frame, name: str) -> None:
        frame.createOrReplaceTempView(name)
        self.views.append(name)

    def register_parquet(self, name: str, paths: list[Path]) -> None:
        self._view(self.spark.read.parquet(*(f"file://{p.resolve()}" for p in paths)), name)  # not the default FS

    def register_rows(self, name: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
        """As SQL `VALUES`: no Python RDD, so the executors never need a Python worker."""
        cols = ", ".join(f"CAST({SPARK.ident(c)} AS {SPARK.sql_type(t)}) AS {SPARK.ident(c)}" for c, t in columns)
        names = ", ".join(SPARK.ident(c) for c, _ in columns)
        if not rows:
            nulls = ", ".join(f"NULL AS {SPARK.ident(c)}" for c, _ in columns)
            self.create_view(name, f"SELECT {cols} FROM (SELECT {nulls}) t WHERE FALSE")
            return
        values = ", ".join("(" + ", ".join("NULL" if v is None else SPARK.literal(v) for v in r) + ")" for r in rows)
        self.create_view(name, f"SELECT {cols} FROM VALUES {values} AS t({names})")

    def create_view(self, name: str, sql: str) -> None:
        self._view(self.spark.sql(sql), name)

    def materialize(self, name: str, parts: list[str]) -> None:
        """A view, recomputed by each query that reads it (Spark's cache would hold it in executor memory)."""
        self.create_view(name, " UNION ALL ".join(parts))

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self.views.remove(name)

    def execute(self, sql: str) -> list[tuple]:
        return [tuple(row) for row in self.spark.sql(sql).collect()]

    def close(self) -> None:
        """Drop the run's views; the application itself stays up for the next run (it ends with the process)."""
        for name in reversed(self.views):
            self.spark.catalog.dropTempView(name)
        self.views.clear()
