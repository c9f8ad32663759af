"""What the benchmark scripts share: the PostgreSQL database they measure on."""

import sys


def ensure_database(url: str, *, reseed: bool) -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if not config["ENGINE"].endswith("postgresql"):
        sys.exit(f"The benchmark needs PostgreSQL, not {config['ENGINE']}.")
    name = config["NAME"]
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reseed:
            print(f"dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            print(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
