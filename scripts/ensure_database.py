"""Create the PostgreSQL database DATABASE_URL names if it does not exist yet (make run)."""

import os
import sys

import environ
import psycopg2
from psycopg2 import sql

url = os.environ.get("DATABASE_URL", "")
if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
    sys.exit(0)
config = environ.Env.db_url_config(url)
params = {
    "host": config["HOST"] or None,
    "port": config["PORT"] or None,
    "user": config["USER"] or None,
    "password": config["PASSWORD"] or None,
}
try:
    connection = psycopg2.connect(dbname="postgres", **params)
except psycopg2.OperationalError as exc:
    sys.exit(f"DATABASE_URL: cannot reach PostgreSQL: {str(exc).strip()}")
connection.autocommit = True
with connection.cursor() as cursor:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
    if cursor.fetchone() is None:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
        print(f"==> created database {config['NAME']}")
connection.close()
