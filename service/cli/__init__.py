"""The `snomap` command line: one group, its commands defined in the leaf modules of this package.

Leaf modules never import this one, so there is no cycle; every command is a `_common.Command`, so a
project error (a bad --index, bad input) prints one `error: ...` line and exits 2 in every command.
"""

from __future__ import annotations

import click

from . import annotate, concepts, ecl, guidelines, index, map_file, mapping, serve, synth, tokens
from ._common import Group


@click.group(cls=Group)
@click.version_option(package_name="snomap")
def main() -> None:
    """snomap: SNOMED CT concepts, hierarchy, ECL, FHIR and guidelines linked to diagnoses."""


for _command in (
    index.index_cmd,
    synth.synth_cmd,
    *concepts.COMMANDS,
    ecl.ecl_cmd,
    mapping.map_cmd,
    map_file.map_file_cmd,
    annotate.annotate_cmd,
    serve.serve_cmd,
    guidelines.guidelines_group,
    tokens.tokens_group,
):
    main.add_command(_command)

__all__ = ["main"]
