"""README documents every setting, and its two commands exist."""

from __future__ import annotations

import dataclasses
import re

from core.settings import Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table():
    documented = set(re.findall(r"^\| `(\w+)` \|", README, flags=re.MULTILINE))
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert fields <= documented, f"undocumented settings: {sorted(fields - documented)}"
    assert not {"data_dir", "embedding_model"} - documented


def test_readme_commands_are_make_targets():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
