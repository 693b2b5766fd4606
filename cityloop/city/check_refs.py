"""Cross-file rules of a city folder: unique codes, references, routability, user bindings."""

from __future__ import annotations

from collections.abc import Iterable

from cityloop.city.issues import ConfigIssue
from cityloop.city.read import (
    CITY_FILE,
    DEPARTMENTS_FILE,
    EVENT_TYPES_FILE,
    JURISDICTIONS_FILE,
    RESPONSIBILITIES_FILE,
    RIVERS_FILE,
    USERS_FILE,
    ParsedFolder,
)
from cityloop.city.schema import Assignment
from cityloop.domain.access import Role
from cityloop.domain.territory import HandlingLevel, Level

# The level a user's jurisdiction must have, for roles bound to one level.
ROLE_LEVELS: dict[Role, Level] = {
    Role.CITY_OPERATOR: Level.CITY,
    Role.DISTRICT_OPERATOR: Level.DISTRICT,
    Role.STREET_OPERATOR: Level.STREET,
    Role.GRID_WORKER: Level.GRID,
}


def _duplicates(
    file: str, items: Iterable[tuple[str, str]], what: str
) -> tuple[list[ConfigIssue], set[str]]:
    """Issues for repeated codes among (path, code) pairs, and the set of codes."""
    first: dict[str, str] = {}
    issues = []
    for path, code in items:
        if code in first:
            issues.append(
                ConfigIssue(file, path, f"duplicate {what} {code!r} (first at {first[code]})")
            )
        else:
            first[code] = path
    return issues, set(first)


def _jurisdiction_issues(p: ParsedFolder) -> list[ConfigIssue]:
    assert p.jurisdictions is not None
    f = JURISDICTIONS_FILE
    props = [feat.properties for feat in p.jurisdictions.features]
    issues, _ = _duplicates(
        f, ((f"features[{i}].properties.code", pr.code) for i, pr in enumerate(props)), "code"
    )
    levels = {pr.code: pr.level for pr in props}
    cities = [i for i, pr in enumerate(props) if pr.level is Level.CITY]
    if len(cities) != 1:
        issues.append(
            ConfigIssue(f, "features", f"expected exactly one city feature, found {len(cities)}")
        )
    for i, pr in enumerate(props):
        path = f"features[{i}].properties.parent_code"
        if pr.level is Level.CITY:
            if pr.parent_code is not None:
                issues.append(ConfigIssue(f, path, "the city feature must have parent_code null"))
            if p.city is not None and pr.code != p.city.code:
                issues.append(
                    ConfigIssue(
                        f,
                        f"features[{i}].properties.code",
                        f"the city feature's code {pr.code!r} differs from {CITY_FILE} code "
                        f"{p.city.code!r}",
                    )
                )
            continue
        if pr.parent_code is None:
            issues.append(
                ConfigIssue(f, path, f"{pr.code}: only the city feature may have no parent")
            )
        elif pr.parent_code not in levels:
            issues.append(
                ConfigIssue(f, path, f"{pr.code}: unknown parent_code {pr.parent_code!r}")
            )
        elif levels[pr.parent_code] is not pr.level.parent():
            issues.append(
                ConfigIssue(
                    f,
                    path,
                    f"{pr.code}: parent {pr.parent_code} is a {levels[pr.parent_code]}, but the "
                    f"parent of a {pr.level} must be a {pr.level.parent()}",
                )
            )
    return issues


def _assignment_issues(
    path: str, entry: Assignment, departments: set[str] | None
) -> list[ConfigIssue]:
    if departments is None:
        return []
    issues = []
    if entry.lead not in departments:
        issues.append(
            ConfigIssue(RESPONSIBILITIES_FILE, f"{path}.lead", f"unknown department {entry.lead!r}")
        )
    for k, co in enumerate(entry.co):
        if co not in departments:
            issues.append(
                ConfigIssue(RESPONSIBILITIES_FILE, f"{path}.co[{k}]", f"unknown department {co!r}")
            )
    return issues


def _responsibility_issues(
    p: ParsedFolder, types: set[str] | None, departments: set[str] | None
) -> list[ConfigIssue]:
    assert p.responsibilities is not None
    f = RESPONSIBILITIES_FILE
    issues: list[ConfigIssue] = []
    districts = None
    if p.jurisdictions is not None:
        districts = {
            ft.properties.code
            for ft in p.jurisdictions.features
            if ft.properties.level is Level.DISTRICT
        }
    for code, resp in p.responsibilities.types.items():
        base = f"types.{code}"
        if types is not None and code not in types:
            issues.append(ConfigIssue(f, base, f"unknown event type {code!r}"))
        for level in HandlingLevel:
            entry = resp.at(level)
            if entry is not None:
                issues.extend(_assignment_issues(f"{base}.{level}", entry, departments))
            elif resp.default is None:
                issues.append(
                    ConfigIssue(
                        f,
                        base,
                        f"event type {code} is not routable at {level} level "
                        f"(no {level} entry and no default entry)",
                    )
                )
        if resp.default is not None:
            issues.extend(_assignment_issues(f"{base}.default", resp.default, departments))
        for k, override in enumerate(resp.overrides):
            path = f"{base}.overrides[{k}]"
            if districts is not None and override.district not in districts:
                issues.append(
                    ConfigIssue(f, f"{path}.district", f"unknown district {override.district!r}")
                )
            issues.extend(
                _assignment_issues(
                    path, Assignment(lead=override.lead, co=override.co), departments
                )
            )
    if types is not None:
        for code in sorted(types - set(p.responsibilities.types)):
            issues.append(
                ConfigIssue(f, "types", f"event type {code} has no entry, so it cannot be routed")
            )
    return issues


def _user_issues(p: ParsedFolder, departments: set[str] | None) -> list[ConfigIssue]:
    assert p.users is not None
    f = USERS_FILE
    issues, _ = _duplicates(
        f, ((f"users[{i}].username", u.username) for i, u in enumerate(p.users.users)), "username"
    )
    levels = None
    if p.jurisdictions is not None:
        levels = {ft.properties.code: ft.properties.level for ft in p.jurisdictions.features}
    for i, user in enumerate(p.users.users):
        if levels is not None:
            if user.jurisdiction not in levels:
                issues.append(
                    ConfigIssue(
                        f, f"users[{i}].jurisdiction", f"unknown jurisdiction {user.jurisdiction!r}"
                    )
                )
            elif (
                user.role in ROLE_LEVELS and levels[user.jurisdiction] is not ROLE_LEVELS[user.role]
            ):
                issues.append(
                    ConfigIssue(
                        f,
                        f"users[{i}].jurisdiction",
                        f"a {user.role} must be bound to a {ROLE_LEVELS[user.role]}, "
                        f"but {user.jurisdiction} is a {levels[user.jurisdiction]}",
                    )
                )
        known = departments is None or user.department is None or user.department in departments
        if not known:
            issues.append(
                ConfigIssue(f, f"users[{i}].department", f"unknown department {user.department!r}")
            )
    return issues


def _river_issues(p: ParsedFolder) -> list[ConfigIssue]:
    assert p.rivers is not None
    f = RIVERS_FILE
    feats = p.rivers.features
    issues, ids = _duplicates(
        f, ((f"features[{i}].properties.id", ft.properties.id) for i, ft in enumerate(feats)), "id"
    )
    downstream = {ft.properties.id: ft.properties.downstream_id for ft in feats}
    for i, ft in enumerate(feats):
        target = ft.properties.downstream_id
        if target is not None and target not in ids:
            issues.append(
                ConfigIssue(
                    f, f"features[{i}].properties.downstream_id", f"unknown segment {target!r}"
                )
            )
            continue
        seen = {ft.properties.id}
        while target is not None and target in downstream:
            if target in seen:
                issues.append(
                    ConfigIssue(
                        f,
                        f"features[{i}].properties.downstream_id",
                        f"segment {ft.properties.id} flows into a loop (through {target})",
                    )
                )
                break
            seen.add(target)
            target = downstream[target]
    return issues


def check_references(p: ParsedFolder) -> list[ConfigIssue]:
    """Every cross-file and uniqueness rule that the parsed files allow checking."""
    issues: list[ConfigIssue] = []
    if p.jurisdictions is not None:
        issues.extend(_jurisdiction_issues(p))
    departments = None
    if p.departments is not None:
        dup, departments = _duplicates(
            DEPARTMENTS_FILE,
            ((f"departments[{i}].code", d.code) for i, d in enumerate(p.departments.departments)),
            "department code",
        )
        issues.extend(dup)
    types = None
    if p.event_types is not None:
        dup, types = _duplicates(
            EVENT_TYPES_FILE,
            ((f"types[{i}].code", t.code) for i, t in enumerate(p.event_types.types)),
            "event type code",
        )
        issues.extend(dup)
        for i, etype in enumerate(p.event_types.types):
            if etype.class_ not in p.event_types.classes:
                issues.append(
                    ConfigIssue(
                        EVENT_TYPES_FILE, f"types[{i}].class", f"unknown class {etype.class_!r}"
                    )
                )
    if p.responsibilities is not None:
        issues.extend(_responsibility_issues(p, types, departments))
    if p.users is not None:
        issues.extend(_user_issues(p, departments))
    if p.rivers is not None:
        issues.extend(_river_issues(p))
    return issues
