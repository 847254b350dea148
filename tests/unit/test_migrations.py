"""Schema migrations (bot/migrations, bot/schema_upgrade.py): databases made by the first
release and by create_all before migrations upgrade without losing a row, a fresh database
upgrades to exactly the code's tables, several processes upgrading at once all succeed,
and `python -m bot migrate` does it by hand. Revision 0003 folds the sale's per-field columns
into one JSON column: every sale reads back as the same validated sale."""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    inspect,
    select,
    text,
)

from bot.delivery.outbox import Outbox, sale_from_columns
from bot.domain.model import LeadRef, Sale
from bot.schema_upgrade import Upgrade, UpgradeTimeout, alembic_config, target_metadata, upgrade_database

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD = "0005"

# --- the first release's tables, as commit 72f7c05 defined them (bot/domain/outbox.py and
# bot/domain/rate_limit.py there): what its create_all made in production databases.
release_1 = MetaData()
release_1_sales = Table(
    "logsale_sales",
    release_1,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_key", String(128), nullable=False, unique=True),
    Column("team_id", String(32), nullable=False, default=""),
    Column("user_id", String(32), nullable=False, index=True),
    Column("user_name", String(255), nullable=False, default=""),
    Column("channel_id", String(32)),
    Column("response_url", Text),
    Column("user_tz", String(64), nullable=False, default="UTC"),
    Column("user_locale", String(32)),
    Column("raw", Text, nullable=False),
    Column("lead_text", String(255), nullable=False, default=""),
    Column("prospect_id", String(64)),
    Column("lead_label", String(255)),
    Column("product_sku", String(128), nullable=False, default=""),
    Column("status", String(8), nullable=False, default=""),
    Column("revenue", String(40), nullable=False, default=""),
    Column("sales_owner_email", String(255), nullable=False, default=""),
    Column("sales_date", String(19), nullable=False, default=""),
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False, index=True),
    Column("lease_until", Float),
    Column("claimed_by", String(128)),
    Column("maybe_posted", Boolean, nullable=False, default=False),
    Column("leadsquared_id", String(64), unique=True),
    Column("error_kind", String(32)),
    Column("last_error", Text),
    Column("delay_notified", Boolean, nullable=False, default=False),
    Column("cancelled_by", String(64)),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
release_1_rate_limit = Table(
    "logsale_rate_limit",
    release_1,
    Column("name", String(64), primary_key=True),
    Column("stamps", Text, nullable=False),
    Column("version", Integer, nullable=False),
)

SALE_DONE = {
    "id": 1,
    "submission_key": "T0001:V0AB12CD",
    "team_id": "T0001",
    "user_id": "U0001",
    "user_name": "Aditi Rao",
    "channel_id": "C0001",
    "response_url": "https://hooks.slack.com/actions/T0001/1/abc",
    "user_tz": "Asia/Kolkata",
    "user_locale": "en-IN",
    "raw": '{"lead": "asha@buyer.in", "revenue": "1,25,000"}',
    "lead_text": "asha@buyer.in",
    "prospect_id": "d3f1c0de-0000-4000-8000-000000000001",
    "lead_label": "Asha Verma — asha@buyer.in",
    "product_sku": "SKU-001",
    "status": "Won",
    "revenue": "125000.00",
    "sales_owner_email": "aditi@seller.in",
    "sales_date": "2026-11-20 09:30:00",
    "state": "done",
    "version": 3,
    "attempts": 1,
    "next_attempt_at": 1795000000.25,
    "lease_until": None,
    "claimed_by": None,
    "maybe_posted": False,
    "leadsquared_id": "a1b2c3d4-0000-4000-8000-0000000000aa",
    "error_kind": None,
    "last_error": None,
    "delay_notified": True,
    "cancelled_by": None,
    "created_at": 1794999990.5,
    "updated_at": 1795000001.75,
}
SALE_FAILED = dict(
    SALE_DONE,
    id=2,
    submission_key="T0001:V0EF34GH",
    user_name="Ravi Kumar",
    channel_id=None,
    response_url=None,
    user_locale=None,
    lead_text="ravi@buyer.in",
    prospect_id=None,
    lead_label=None,
    state="failed",
    version=5,
    attempts=4,
    lease_until=1795000100.0,
    claimed_by="web.1:4242",
    maybe_posted=True,
    leadsquared_id=None,
    error_kind="rejected",
    last_error="LeadSquared said: the product SKU 'SKU-9' doesn't exist.",
    delay_notified=False,
    cancelled_by="U0002",
)
RATE_LIMIT_ROW = {"name": "leadsquared", "stamps": "[1795000000.1, 1795000000.2]", "version": 7}

# The sale's per-field columns that revision 0003 folds into the one JSON column ``sale``.
FOLDED = ("lead_text", "lead_label", "status", "revenue", "sales_owner_email")
# What each row above means, as the validated sale the code reads back.
ASHA = Sale(
    lead=LeadRef("asha@buyer.in", "email", "d3f1c0de-0000-4000-8000-000000000001", "Asha Verma — asha@buyer.in"),
    product_sku="SKU-001",
    status="Won",
    revenue=Decimal("125000.00"),
    sales_owner_email="aditi@seller.in",
    sales_date_utc=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc),
)
RAVI = Sale(
    lead=LeadRef("ravi@buyer.in", "email", None, None),
    product_sku="SKU-001",
    status="Won",
    revenue=Decimal("125000.00"),
    sales_owner_email="aditi@seller.in",
    sales_date_utc=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc),
)


def after_0003(row: dict) -> dict:
    """A row as revision 0003 leaves it, but for its ``sale`` (compared as the sale it reads as)."""
    return {name: value for name, value in row.items() if name not in FOLDED}


def sales_rows(engine) -> tuple[list[dict], list[Sale | None]]:
    """logsale_sales' rows without ``sale``, and the sale each reads as."""
    found = rows(engine, "logsale_sales")
    return [{k: v for k, v in row.items() if k != "sale"} for row in found], [
        sale_from_columns(row["sale"]) for row in found
    ]


def rows(engine, table_name: str) -> list[dict]:
    with engine.connect() as conn:
        table = Table(table_name, MetaData(), autoload_with=conn)
        key = next(iter(table.primary_key.columns))
        return [dict(row._mapping) for row in conn.execute(select(table).order_by(key))]


def schema_differences(engine, tables: MetaData | None = None) -> list:
    """Alembic's autogenerate comparison of the database with the code's tables."""

    def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
        # SQLite: VARCHAR(n) and TEXT are the same storage (TEXT affinity, lengths never
        # enforced), so revision 0002 leaves SQLite's old columns as they are. PostgreSQL is
        # compared strictly.
        both_strings = isinstance(inspected_type, String) and isinstance(metadata_type, String)
        if context.dialect.name == "sqlite" and both_strings:
            return False
        return None

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": compare_type})
        return compare_metadata(context, tables if tables is not None else target_metadata())


def version_rows(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def column_types(engine, table: str) -> dict[str, str]:
    return {c["name"]: str(c["type"]) for c in inspect(engine).get_columns(table)}


@pytest.fixture
def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def test_a_database_made_by_the_first_release_upgrades_to_head_keeping_every_row_and_value(engine):
    release_1.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(release_1_sales), [SALE_DONE, SALE_FAILED])
        conn.execute(insert(release_1_rate_limit), [RATE_LIMIT_ROW])

    assert upgrade_database(engine) == Upgrade(before=None, after=HEAD, stamped=True)

    assert sales_rows(engine) == ([after_0003(SALE_DONE), after_0003(SALE_FAILED)], [ASHA, RAVI])
    assert rows(engine, "logsale_rate_limit") == [RATE_LIMIT_ROW]
    assert version_rows(engine) == [HEAD]
    assert schema_differences(engine) == []
    if engine.dialect.name == "postgresql":
        # The lengths are gone: a 300-character SKU is stored.
        assert column_types(engine, "logsale_sales")["product_sku"] == "TEXT"
        with engine.begin() as conn:
            conn.execute(text("UPDATE logsale_sales SET product_sku = :sku WHERE id = 2"), {"sku": "S" * 300})
    # The next start (every worker's) finds it at head and changes nothing.
    assert upgrade_database(engine) == Upgrade(before=HEAD, after=HEAD)
    assert sales_rows(engine)[1][0] == ASHA


def tables_before_0003() -> MetaData:
    """Every table as create_all made it between revisions 0002 and 0003: logsale_sales with its
    per-field columns, as Text (what 0002 widened them to)."""
    widened = importlib.import_module("bot.migrations.versions.0002_text_columns_notifications_home").WIDENED
    tables = MetaData()
    for table in target_metadata().tables.values():
        if table.name != "logsale_sales":
            table.to_metadata(tables)
    sales = release_1_sales.to_metadata(tables)
    for column in sales.columns:
        if column.name in widened:
            column.type = Text()
    return tables


def current_main_rows() -> dict[str, list[dict]]:
    return {
        "logsale_sales": [dict(SALE_DONE, lead_label="Meenakshi Sundaram " + "m" * 281), SALE_FAILED],
        "logsale_rate_limit": [RATE_LIMIT_ROW, {"name": "slack_views_publish", "stamps": "[]", "version": 0}],
        "logsale_notifications": [
            {
                "id": 1,
                "sale_id": 1,
                "kind": "posted",
                "extra": "{}",
                "response_url": "https://hooks.slack.com/actions/T0001/1/abc",
                "response_url_issued_at": 1794999990.5,
                "route": "channel",
                "state": "delivered",
                "version": 2,
                "attempts": 1,
                "failures": 0,
                "next_attempt_at": 1795000001.0,
                "lease_until": None,
                "claimed_by": None,
                "last_error": None,
                "delivered_route": "channel",
                "created_at": 1795000001.0,
                "updated_at": 1795000002.0,
            }
        ],
        "logsale_response_url_uses": [{"url_hash": "ab" * 32, "uses": 2, "updated_at": 1795000002.0}],
        "logsale_home_tabs": [
            {"user_id": "U0001", "opened_at": 1795000000.0, "requested_at": 1795000003.0, "published_at": 1795000002.5}
        ],
        "logsale_sale_threads": [{"submission_key": "T0001:V0AB12CD", "thread_ts": "1794999980.000100"}],
    }


@pytest.mark.parametrize(
    "made_with",
    [
        "all of today's tables",
        # Between the releases: durable notifications landed before the App Home.
        "notifications but no home tabs yet",
    ],
)
def test_a_database_made_by_create_all_before_migrations_is_stamped_and_upgraded_without_loss(engine, made_with):
    everything = current_main_rows()
    if made_with == "notifications but no home tabs yet":
        everything = {k: v for k, v in everything.items() if k not in ("logsale_home_tabs", "logsale_sale_threads")}
    code = tables_before_0003()
    code.create_all(engine, tables=[code.tables[name] for name in everything])
    with engine.begin() as conn:
        for name, values in everything.items():
            conn.execute(insert(code.tables[name]), values)

    assert upgrade_database(engine) == Upgrade(before=None, after=HEAD, stamped=True)

    sales = everything.pop("logsale_sales")
    meenakshi = Sale(**{**ASHA.__dict__, "lead": LeadRef(**{**ASHA.lead.__dict__, "label": sales[0]["lead_label"]})})
    assert sales_rows(engine) == ([after_0003(row) for row in sales], [meenakshi, RAVI])
    for name, values in everything.items():
        assert rows(engine, name) == values, name
    assert schema_differences(engine) == []
    assert version_rows(engine) == [HEAD]


PRIYA_PID = "0d2c1c9f-5a4b-4c3d-9e8f-1a2b3c4d5e6f"
# Rows as the code of revision 0002 wrote them (bot.delivery.outbox.sale_columns there), with
# the sale each read back as.
WRITTEN_UNDER_0002 = [
    (
        dict(
            SALE_DONE,
            id=11,
            submission_key="T0001:V11",
            raw='{"lead": "+91 98765 43210", "status": "open", "revenue": "12,000.50"}',
            lead_text="+91 98765 43210",  # a phone lead, resolved by the worker afterwards
            prospect_id=PRIYA_PID,
            lead_label="Priya Shah · priya@acme.in",
            product_sku="SKU-PRO",
            status="Open",
            revenue="12000.50",
            sales_owner_email="owner@acme.in",
            sales_date="2026-11-26 09:30:00",
            state="pending",
            leadsquared_id=None,
        ),
        Sale(
            lead=LeadRef("+91 98765 43210", "phone", PRIYA_PID, "Priya Shah · priya@acme.in"),
            product_sku="SKU-PRO",
            status="Open",
            revenue=Decimal("12000.50"),
            sales_owner_email="owner@acme.in",
            sales_date_utc=datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc),
        ),
    ),
    (
        dict(
            SALE_DONE,
            id=12,
            submission_key="T0001:V12",
            lead_text=PRIYA_PID,  # a ProspectId pasted as it is
            prospect_id=PRIYA_PID,
            lead_label=None,
            status="Lost",
            revenue="0",
            sales_date="2026-11-01 00:00:00",
            leadsquared_id="a1b2c3d4-0000-4000-8000-0000000000bb",
        ),
        Sale(
            lead=LeadRef(PRIYA_PID, "prospect_id", PRIYA_PID, None),
            product_sku="SKU-001",
            status="Lost",
            revenue=Decimal("0"),
            sales_owner_email="aditi@seller.in",
            sales_date_utc=datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc),
        ),
    ),
    # Never a sale (an older, laxer release stored it): still none, and the worker refuses it.
    (dict(SALE_FAILED, id=13, submission_key="T0001:V13", revenue="12k", sales_date="yesterday"), None),
]


def test_sales_written_under_0002_read_back_as_the_same_sales_after_0003(engine):
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
    with engine.begin() as conn:
        table_0002 = Table("logsale_sales", MetaData(), autoload_with=conn)
        assert set(FOLDED) <= set(table_0002.columns.keys())
        conn.execute(insert(table_0002), [row for row, _sale in WRITTEN_UNDER_0002])

    assert upgrade_database(engine) == Upgrade(before="0002", after=HEAD)

    assert set(FOLDED).isdisjoint(column_types(engine, "logsale_sales"))
    assert schema_differences(engine) == []
    outbox = Outbox(engine)
    for row, sale in WRITTEN_UNDER_0002:
        record = outbox.get(row["id"])
        assert record.sale == sale, row["id"]
        assert record.raw.lead == json.loads(row["raw"])["lead"]
        kept = ("submission_key", "user_id", "version", "leadsquared_id", "created_at", "updated_at")
        assert [getattr(record, name) for name in kept] == [row[name] for name in kept]
        assert record.state.value == row["state"]
    # The copies queries select by came through too.
    assert outbox.known_skus() == {"SKU-PRO", "SKU-001"}
    assert outbox.leadsquared_ids_for_lead(PRIYA_PID, other_than=0) == {"a1b2c3d4-0000-4000-8000-0000000000bb"}
    assert [r.id for r in outbox.logged_since("U0001", "2026-11-01 00:00:00")] == [12]


def test_a_fresh_database_upgrades_to_exactly_the_code_s_tables(engine):
    assert upgrade_database(engine) == Upgrade(before=None, after=HEAD)
    assert schema_differences(engine) == []
    assert set(inspect(engine).get_table_names()) == set(target_metadata().tables) | {"alembic_version"}


def test_the_comparison_notices_a_table_changed_without_a_revision(engine):
    # What keeps the test above honest: a column added in code but in no revision is a difference.
    upgrade_database(engine)
    changed = target_metadata()
    changed.tables["logsale_sale_threads"].append_column(Column("channel_id", Text))
    differences = schema_differences(engine, changed)
    assert [(d[0], d[2], d[3].name) for d in differences] == [("add_column", "logsale_sale_threads", "channel_id")]


def test_the_head_read_from_the_revision_files_is_alembic_s_head():
    from alembic.script import ScriptDirectory

    from bot.schema_upgrade import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


AT_HEAD_START = """
import json, sys
from bot.delivery.outbox import make_engine
from bot.schema_upgrade import upgrade_database
done = upgrade_database(make_engine(sys.argv[1]))
print(json.dumps([done.before, done.after, "alembic" in sys.modules]))
"""


def test_a_start_finding_the_database_at_head_does_not_import_alembic(engine, database_url):
    upgrade_database(engine)
    started = subprocess.run(
        [sys.executable, "-c", AT_HEAD_START, database_url], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == [HEAD, HEAD, False]


UPGRADER = """
import json, sys, time
from bot.delivery.outbox import make_engine
from bot.schema_upgrade import upgrade_database
url, start_at = sys.argv[1], float(sys.argv[2])
engine = make_engine(url)
time.sleep(max(0.0, start_at - time.time()))
done = upgrade_database(engine)
print(json.dumps([done.before, done.after]))
"""


def test_five_processes_upgrading_a_fresh_database_at_once_all_succeed(engine, database_url):
    start_at = time.time() + 3.0  # after every interpreter has imported SQLAlchemy and Alembic
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADER, database_url, str(start_at)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    results = [worker.communicate(timeout=60) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 5, [err[-2000:] for _, err in results]
    outcomes = sorted(out.strip() for out, _ in results)
    # One upgraded; the others waited for it and found the database at head.
    assert outcomes == sorted([f'[null, "{HEAD}"]'] + [f'["{HEAD}", "{HEAD}"]'] * 4)
    assert version_rows(engine) == [HEAD]
    assert schema_differences(engine) == []


def test_a_worker_waits_for_the_migration_lock_at_most_its_deadline(engine, database_url):
    if engine.dialect.name == "postgresql":
        holder = engine.connect()
        key = "hashtext('logsale-migrations:' || current_schema())"
        assert holder.execute(text(f"SELECT pg_try_advisory_lock({key})")).scalar()

        def release():
            holder.invalidate()  # a session lock ends with its session (close() would pool it)
            holder.close()
    else:
        fd = os.open(f"{engine.url.database}.migrate-lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)

        def release():
            os.close(fd)

    started = time.monotonic()
    try:
        with pytest.raises(UpgradeTimeout):
            upgrade_database(engine, deadline_seconds=1.0)
        assert time.monotonic() - started < 3.0
        assert "alembic_version" not in inspect(engine).get_table_names()  # it never ran unlocked
    finally:
        release()
    assert upgrade_database(engine, deadline_seconds=5.0) == Upgrade(before=None, after=HEAD)


def migrate(*args: str, database_url: str, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_python_m_bot_migrate_upgrades_a_first_release_database_and_says_from_what_to_what(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    release_1.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(release_1_sales), [SALE_DONE, SALE_FAILED])

    status = migrate("--status", database_url=url, cwd=tmp_path)
    assert status.returncode == 0 and status.stdout.count("\n") == 1
    assert "revision none" in status.stdout and "newest is 0005" in status.stdout
    assert "alembic_version" not in inspect(engine).get_table_names()  # --status changes nothing

    done = migrate(database_url=url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "database upgraded from 0001 (made before migrations, stamped) to 0005\n"
    assert sales_rows(engine) == ([after_0003(SALE_DONE), after_0003(SALE_FAILED)], [ASHA, RAVI])

    again = migrate(database_url=url, cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "database already at revision 0005 (newest): nothing to do\n")
    status = migrate("--status", database_url=url, cwd=tmp_path)
    assert status.stdout == "database at revision 0005; newest is 0005 (up to date)\n"
    engine.dispose()


def test_python_m_bot_migrate_on_a_fresh_database_and_on_an_unreachable_one(tmp_path):
    fresh = migrate(database_url=f"sqlite:///{tmp_path / 'new.db'}", cwd=tmp_path)
    assert (fresh.returncode, fresh.stdout) == (0, "database upgraded from an empty database to 0005\n")

    # Nothing listens on port 1; the password must not be echoed.
    down = migrate("--wait", "1", database_url="postgresql://logsale:s3cret-pw@127.0.0.1:1/logsale", cwd=tmp_path)
    assert down.returncode == 3 and down.stdout == ""
    assert down.stderr.count("\n") == 1 and "can't be reached" in down.stderr and "DATABASE_URL" in down.stderr
    assert "s3cret-pw" not in down.stderr and "Traceback" not in down.stderr

    usage = migrate("--frobnicate", database_url=f"sqlite:///{tmp_path / 'new.db'}", cwd=tmp_path)
    assert usage.returncode == 2 and "unrecognized arguments" in usage.stderr
