"""`cascade org import`: the whole file is checked first; applying it twice changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from benchmarks.org import Organisation, generate
from conversations.errors import Refusal
from conversations.services import privacy, welcome
from conversations.services.org_import import apply_rows, parse_rows
from storage import cycles, objectives, people, units
from storage.db import transaction
from storage.models import ObjectiveStatus
from storage.people import SlackProfile
from tests.helpers import counting_statements, snapshot
from tests.storage.test_repositories import NOW

ORG = """email,name,manager_email,unit
ceo@acme.com,Cleo,,Acme
vp@acme.com,Victor,ceo@acme.com,Sales
rep1@acme.com,Rita,vp@acme.com,
rep2@acme.com,Raj,vp@acme.com,
cto@acme.com,Tara,ceo@acme.com,
dev@acme.com,Dev,cto@acme.com,
"""


def directory(engine: Engine, team_id: str = "T1") -> None:
    emails = ["ceo", "vp", "rep1", "rep2", "cto", "dev", "new"]
    with transaction(engine) as s:
        people.upsert_profiles(
            session=s,
            team_id=team_id,
            at=NOW,
            profiles=[
                SlackProfile(
                    user_id=f"U{e.upper()}",
                    name=e,
                    email=f"{e}@acme.com",
                    tz="UTC",
                    is_admin=False,
                    is_bot=False,
                    deleted=False,
                )
                for e in emails
            ],
        )


def apply(engine: Engine, text: str, team_id: str = "T1") -> tuple[int, int, int]:
    with transaction(engine) as s:
        result = apply_rows(session=s, team_id=team_id, rows=parse_rows(text))
    return result.units_created, result.units_changed, result.moves


def test_import_builds_the_tree(engine: Engine) -> None:
    directory(engine)
    assert apply(engine, ORG) == (3, 0, 5)
    data = snapshot(engine)
    units = {u["name"]: u for u in data["units"]}
    assert set(units) == {"Acme", "Sales", "Tara's team"}
    assert units["Acme"]["parent_id"] is None and units["Acme"]["manager_id"] == "UCEO"
    assert units["Sales"]["parent_id"] == units["Acme"]["id"]
    assert units["Tara's team"]["manager_id"] == "UCTO"
    member = {p["user_id"]: p["unit_id"] for p in data["people"]}
    assert member["UCEO"] is None
    assert member["UVP"] == member["UCTO"] == units["Acme"]["id"]
    assert member["UREP1"] == member["UREP2"] == units["Sales"]["id"]
    assert member["UDEV"] == units["Tara's team"]["id"]


def test_importing_the_same_file_twice_changes_nothing(engine: Engine) -> None:
    directory(engine)
    apply(engine, ORG)
    before = snapshot(engine)
    assert apply(engine, ORG) == (0, 0, 0)
    assert snapshot(engine) == before


def test_a_changed_file_moves_people_and_renames_units(engine: Engine) -> None:
    directory(engine)
    apply(engine, ORG)
    moved = ORG.replace("dev@acme.com,Dev,cto@acme.com,", "dev@acme.com,Dev,vp@acme.com,")
    moved = moved.replace(
        "cto@acme.com,Tara,ceo@acme.com,", "cto@acme.com,Tara,ceo@acme.com,Platform"
    )
    moved += "new@acme.com,Nia,cto@acme.com,\n"
    created, changed, moves = apply(engine, moved)
    assert (created, changed) == (0, 1) and moves == 2
    data = snapshot(engine)
    units = {u["name"]: u["id"] for u in data["units"]}
    member = {p["user_id"]: p["unit_id"] for p in data["people"]}
    assert "Platform" in units and "Tara's team" not in units
    assert member["UDEV"] == units["Sales"] and member["UNEW"] == units["Platform"]


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("email,name\na@acme.com,A\n", "import_missing_column", 1),
        ("mail,name,manager_email\n", "import_missing_column", 1),
        (ORG + "x@acme.com,X,nobody@acme.com,\n", "import_unknown_manager", 8),
        (ORG + "boss2@acme.com,B2,,\n", "import_two_roots", 8),
        (
            ORG.replace("ceo@acme.com,Cleo,,Acme", "ceo@acme.com,Cleo,dev@acme.com,Acme"),
            "import_manager_cycle",
            2,
        ),
        (
            "email,name,manager_email\na@acme.com,A,b@acme.com\nb@acme.com,B,a@acme.com\n",
            "import_manager_cycle",
            2,
        ),
        (ORG + "vp@acme.com,Victor again,ceo@acme.com,\n", "import_duplicate_email", 8),
        (ORG + "not-an-email,X,ceo@acme.com,\n", "import_bad_email", 8),
        (ORG + "x@acme.com,,ceo@acme.com,\n", "import_missing_name", 8),
        (ORG + "x@acme.com,X,ceo@acme.com,Unit,extra\n", "import_extra_values", 8),
        ("email,name,manager_email\n", "import_empty", 1),
    ],
)
def test_a_malformed_file_is_refused_with_its_line(text: str, code: str, line: int) -> None:
    with pytest.raises(Refusal) as refused:
        parse_rows(text)
    assert refused.value.code == code
    assert refused.value.params["line"] == line


def test_someone_missing_from_slack_is_refused_and_nothing_is_written(engine: Engine) -> None:
    directory(engine)
    before = snapshot(engine)
    with pytest.raises(Refusal) as refused:
        apply(engine, ORG + "ghost@acme.com,Ghost,ceo@acme.com,\n")
    assert refused.value.code == "import_not_in_slack" and refused.value.params["line"] == 8
    assert snapshot(engine) == before


def test_a_forgotten_person_is_skipped_and_their_reports_go_to_the_manager_above(
    engine: Engine,
) -> None:
    directory(engine)
    with transaction(engine) as s:
        privacy.forget(session=s, who="vp@acme.com")
        result = apply_rows(session=s, team_id="T1", rows=parse_rows(ORG))
    assert (result.people, result.skipped) == (5, 1)
    data = snapshot(engine)
    units = {u["id"]: u["name"] for u in data["units"]}
    assert set(units.values()) == {"Acme", "Tara's team"}  # no unit for Victor
    member = {p["user_id"]: units.get(p["unit_id"]) for p in data["people"]}
    assert "UVP" not in member
    assert member["UREP1"] == member["UREP2"] == member["UCTO"] == "Acme"


def test_a_forgotten_head_of_the_organisation_is_refused_by_line(engine: Engine) -> None:
    directory(engine)
    with transaction(engine) as s:
        privacy.forget(session=s, who="UCEO")
    before = snapshot(engine)
    with pytest.raises(Refusal) as refused:
        apply(engine, ORG)
    assert refused.value.code == "import_forgotten_top" and refused.value.params == {"line": 2}
    assert snapshot(engine) == before


def test_a_byte_order_mark_and_messy_spacing_are_fine(engine: Engine) -> None:
    directory(engine)
    messy = (
        "\ufeff Email , NAME,manager_email\n"
        " CEO@acme.com , Cleo , \n"
        "vp@acme.com,Victor, ceo@ACME.com\n"
    )
    assert apply(engine, messy) == (1, 0, 1)


def test_a_name_one_unit_gives_up_is_free_for_another_in_the_same_file(engine: Engine) -> None:
    directory(engine)
    apply(engine, ORG)
    renamed = ORG.replace("ceo@acme.com,Sales", "ceo@acme.com,Field Sales")
    renamed = renamed.replace(
        "cto@acme.com,Tara,ceo@acme.com,", "cto@acme.com,Tara,ceo@acme.com,Sales"
    )
    # Dev now manages Nia; Dev's new unit takes the name Tara's unit gave up.
    renamed = renamed.replace(
        "dev@acme.com,Dev,cto@acme.com,", "dev@acme.com,Dev,cto@acme.com,Tara's team"
    )
    renamed += "new@acme.com,Nia,dev@acme.com,\n"
    assert apply(engine, renamed) == (1, 2, 1)
    data = snapshot(engine)
    units = {u["name"]: u for u in data["units"]}
    assert set(units) == {"Acme", "Field Sales", "Sales", "Tara's team"}
    assert units["Field Sales"]["manager_id"] == "UVP" and units["Sales"]["manager_id"] == "UCTO"
    assert units["Tara's team"]["manager_id"] == "UDEV"
    assert units["Tara's team"]["parent_id"] == units["Sales"]["id"]
    member = {p["user_id"]: p["unit_id"] for p in data["people"]}
    assert member["UNEW"] == units["Tara's team"]["id"] and member["UDEV"] == units["Sales"]["id"]
    assert apply(engine, renamed) == (0, 0, 0)


def test_a_unit_name_another_unit_keeps_is_refused_and_nothing_is_written(engine: Engine) -> None:
    directory(engine)
    apply(engine, ORG)
    before = snapshot(engine)
    clash = ORG.replace("cto@acme.com,Tara,ceo@acme.com,", "cto@acme.com,Tara,ceo@acme.com,sales")
    with pytest.raises(Refusal) as refused:
        apply(engine, clash)
    assert refused.value.code == "import_unit_name_taken" and refused.value.params["line"] == 6
    assert snapshot(engine) == before


def seed_directory(engine: Engine, org: Organisation, team_id: str) -> None:
    with transaction(engine) as s:
        people.upsert_profiles(
            session=s,
            team_id=team_id,
            at=NOW,
            profiles=[
                SlackProfile(p.user_id, p.name, p.email, p.tz, False, False, False)
                for p in org.people
            ],
        )


def test_import_and_its_welcomes_take_the_same_few_statements_for_100_people_as_1000(
    engine: Engine,
) -> None:
    first: dict[int, int] = {}
    again: dict[int, int] = {}
    moved: dict[int, int] = {}
    for size in (100, 1000):
        org = generate(size)
        team = f"T{size}"
        seed_directory(engine, org, team)
        rows = parse_rows(org.csv())
        with counting_statements(engine) as statements, transaction(engine) as s:
            # As `cascade org import` does: each new unit's manager is owed a message, read in one
            # go (the people placed for the first time hear when their unit publishes).
            then = welcome.before(session=s, team_id=team)
            result = apply_rows(session=s, team_id=team, rows=rows)
            told = welcome.notices(session=s, team_id=team, then=then, now=NOW, newcomers=False)
        assert (result.units_created, result.units_changed, result.moves) == (
            org.units,
            0,
            size - 1,
        )
        assert len(told) == org.units
        first[size] = len(statements)

        with counting_statements(engine) as statements, transaction(engine) as s:
            result = apply_rows(session=s, team_id=team, rows=rows)
        assert not result.changed
        assert statements.writes() == []  # an unchanged file writes nothing
        again[size] = len(statements)

        # Everyone in the last unit moves to the root's, and every named unit is renamed.
        last_manager = org.people[-1].manager_email
        changed = org.csv().replace(f",{last_manager},", f",{org.people[0].email},")
        changed = changed.replace(",Unit ", ",Team ")
        with counting_statements(engine) as statements, transaction(engine) as s:
            result = apply_rows(session=s, team_id=team, rows=parse_rows(changed))
        assert result.moves > 0 and result.units_changed > 0
        moved[size] = len(statements)
    assert first[100] == first[1000] <= 20
    assert again[100] == again[1000] <= 6
    assert moved[100] == moved[1000] <= 12


def test_an_import_tells_a_newcomer_only_once_their_unit_has_published(engine: Engine) -> None:
    """SPEC: people placed for the first time hear of Cascade when their unit publishes. Someone
    new in Sales, which has published, is told now; someone new in Tara's team, which has not,
    is not (its publishing tells them); nor is anyone in a first import but the managers."""
    directory(engine)
    with transaction(engine) as s:
        then = welcome.before(session=s, team_id="T1")
        apply_rows(session=s, team_id="T1", rows=parse_rows(ORG))
        first = welcome.notices(session=s, team_id="T1", then=then, now=NOW, newcomers=False)
    assert sorted(n.user_id for n in first) == ["UCEO", "UCTO", "UVP"]
    with transaction(engine) as s:
        cycle = cycles.add_cycle(
            session=s, team_id="T1", name="FY", start=NOW.date(), end=date(NOW.year + 1, 1, 1)
        )
        sales = units.find_unit(session=s, team_id="T1", name="Sales")
        assert sales is not None and sales.id is not None and cycle.id is not None
        objectives.create_objective(
            session=s,
            team_id="T1",
            unit_id=sales.id,
            cycle_id=cycle.id,
            title="Sell more",
            status=ObjectiveStatus.PUBLISHED,
            published_at=NOW,
        )
    for line, told in [
        ("new@acme.com,Nia,cto@acme.com,\n", []),  # Tara's team has not published: not yet
        ("rep9@acme.com,Rex,vp@acme.com,\n", ["UREP9"]),  # Sales has: told now
    ]:
        with transaction(engine) as s:
            people.upsert_profiles(
                session=s,
                team_id="T1",
                at=NOW,
                profiles=[
                    SlackProfile("UREP9", "Rex", "rep9@acme.com", "UTC", False, False, False)
                ],
            )
            then = welcome.before(session=s, team_id="T1")
            apply_rows(session=s, team_id="T1", rows=parse_rows(ORG + line))
            found = welcome.notices(session=s, team_id="T1", then=then, now=NOW, newcomers=False)
        assert [n.user_id for n in found] == told
