"""The loaded rulesets: by name (current version) and by hash (every version ever loaded)."""

from __future__ import annotations

from pathlib import Path

from eligibility.errors import NotFoundError, RulesetError
from eligibility.ledger.codec import ruleset_body
from eligibility.review import clock
from eligibility.rules.loader import discover, load_ruleset_file, load_ruleset_json
from eligibility.rules.schema import Ruleset
from eligibility.rules.vocabulary import Vocabulary
from eligibility.store import Store


class Registry:
    """Rulesets loaded from rule directories, each kept in the store by hash for replay."""

    def __init__(self, store: Store, rules_dirs: list[Path], default: str, vocabulary: Vocabulary) -> None:
        """Load every ruleset under the directories (each must use the vocabulary) and record it in the store."""
        self._store = store
        self.vocabulary = vocabulary
        self._by_name: dict[str, Ruleset] = {}
        self._by_hash: dict[str, Ruleset] = {}
        for d in rules_dirs:
            for path in discover(d):
                rs = load_ruleset_file(path)
                vocabulary.check_ruleset(rs, str(path))
                if rs.name in self._by_name:
                    raise RulesetError(f"{path}: ruleset {rs.name} is defined twice")
                self._by_name[rs.name] = rs
                self._by_hash[rs.hash] = rs
                now = clock.utc_now()
                store.save_ruleset(rs.name, rs.version, rs.hash, rs.canonical_bytes(), now,
                                   ruleset_body(rs.name, rs.version, rs.hash, now, rs.canonical_bytes()))
                loaded_at, entry = store.ruleset_entry(rs.hash)
                if entry is not None and b'"content":' not in entry:  # logged by an older release, by hash only
                    store.relog_ruleset(rs.hash, ruleset_body(rs.name, rs.version, rs.hash, loaded_at,
                                                              rs.canonical_bytes()))
        if default not in self._by_name:
            raise RulesetError(f"default ruleset {default!r} not found under {', '.join(map(str, rules_dirs))}")
        self.default_name = default

    @property
    def default(self) -> Ruleset:
        """The ruleset used for intake vocabulary and new rounds."""
        return self._by_name[self.default_name]

    def all(self) -> list[Ruleset]:
        """Currently loaded rulesets, default first."""
        return sorted(self._by_name.values(), key=lambda r: (r.name != self.default_name, r.name))

    def by_name(self, name: str) -> Ruleset:
        """The current version of a named ruleset."""
        rs = self._by_name.get(name or self.default_name)
        if rs is None:
            raise NotFoundError(f"no ruleset named {name!r}; loaded: {', '.join(self._by_name)}", field="ruleset")
        return rs

    def by_hash(self, hash_: str) -> Ruleset:
        """Any version ever loaded, from memory or the store; verifies the content hash."""
        rs = self._by_hash.get(hash_)
        if rs is None:
            content = self._store.ruleset_content(hash_)
            if content is None:
                raise NotFoundError(f"ruleset version {hash_[:12]} is not on record", field="ruleset_hash")
            rs = load_ruleset_json(content)
            if rs.hash != hash_:
                raise RulesetError(f"stored ruleset {hash_[:12]} does not hash to its key (got {rs.hash[:12]})")
            self._by_hash[hash_] = rs
        return rs
