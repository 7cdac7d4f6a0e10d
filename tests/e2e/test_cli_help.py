# SPDX-License-Identifier: MIT
"""Every command and subcommand answers --help (and `jeton help COMMAND`) with its options,
defaults, environment and examples, exit 0; jeton(1) is printed from the same table."""
import pathlib
import re

import pytest

from conftest import cli_ok, run_jeton


def _commands():
    """(command, subcommand or None) for every line of `jeton help`."""
    out = cli_ok(run_jeton("help")).stdout
    found = []
    for line in out.splitlines():
        if not line.startswith("  "):
            continue
        words = line.split()
        sub = words[1] if len(words) > 1 and re.fullmatch(r"[a-z][a-z-]*", words[1]) else None
        found.append((words[0], sub))
    return found


COMMANDS = _commands()


def test_help_lists_every_command():
    names = {c for c, _ in COMMANDS}
    assert {"serve", "init", "user", "space", "token", "app", "audit", "policy", "scanner",
            "keys", "purge", "store", "migrate", "version", "help"} <= names
    assert ("token", "create") in COMMANDS and ("app", "rotate-secret") in COMMANDS


@pytest.mark.parametrize("cmd,sub", COMMANDS, ids=lambda v: v or "-")
def test_every_command_answers_help_with_usage_and_examples(tmp_path, cmd, sub):
    words = [cmd] + ([sub] if sub else [])
    p = run_jeton(*words, "--help", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"usage: jeton {' '.join(words)}"), p.stdout
    assert "examples:\n  jeton " in p.stdout
    assert p.stderr == ""
    # `jeton help CMD SUB` prints the very same text
    assert cli_ok(run_jeton("help", *words, cwd=tmp_path)).stdout == p.stdout


def _options(cmd, sub):
    """The options the help of cmd sub names: (option, takes a value)."""
    words = [cmd] + ([sub] if sub else [])
    out = cli_ok(run_jeton("help", *words)).stdout
    opts = out.split("options:\n", 1)[1].split("examples:", 1)[0] if "options:" in out else ""
    return [(m.group(1), bool(m.group(2)))
            for m in re.finditer(r"^  (--[a-z0-9-]+)( [A-Z:|.]+)?  ", opts, re.M)]


@pytest.mark.parametrize("cmd,sub", [c for c in COMMANDS if c[0] not in ("help", "version")],
                         ids=lambda v: v or "-")
def test_every_option_the_help_names_is_one_the_command_accepts(tmp_path, cmd, sub):
    """The help cannot drift from the option tables: each option it names parses (the
    store, in a directory that does not exist, then fails to open)."""
    db = tmp_path / "absent" / "x.db"
    for opt, takes_value in _options(cmd, sub):
        args = [cmd] + ([sub] if sub else []) + [opt] + (["x"] if takes_value else [])
        p = run_jeton("--db", db, *args, cwd=tmp_path)
        assert "unknown option" not in p.stderr, (args, p.stderr)
        assert "needs a value" not in p.stderr and "takes no value" not in p.stderr, \
            (args, p.stderr)


def test_help_names_defaults_and_environment_variables():
    out = cli_ok(run_jeton("serve", "--help")).stdout
    assert re.search(r"--listen ADDR:PORT +.*JETON_LISTEN; default 127\.0\.0\.1:8080", out)
    assert "JETON_DB" in out


def test_the_subcommand_words_may_be_followed_by_other_options():
    p = run_jeton("token", "create", "--user", "a@example.com", "--help")
    assert p.returncode == 0
    assert p.stdout.startswith("usage: jeton token create ")


def test_a_command_help_without_subcommand_shows_every_subcommand():
    out = cli_ok(run_jeton("app", "--help")).stdout
    for sub in ("create", "list", "delete", "rotate-secret"):
        assert f"usage: jeton app {sub}" in out


def test_an_unknown_command_still_fails_with_usage():
    p = run_jeton("frobnicate", "--help")
    assert p.returncode == 2
    assert "unknown command frobnicate" in p.stderr


def test_the_man_page_is_roff_covering_every_command():
    man = cli_ok(run_jeton("help", "--man")).stdout
    assert man.startswith(".TH JETON 1 ")
    for section in (".SH NAME", ".SH SYNOPSIS", ".SH COMMANDS", ".SH ENVIRONMENT",
                    ".SH EXIT STATUS"):
        assert section in man
    for cmd, sub in COMMANDS:
        heading = f'.SS "jeton {cmd}' + (f" {sub}" if sub else "").replace("-", "\\-")
        assert heading in man, heading
    # options are hyphen-minus for roff, never a line that roff would take as a request
    assert "\\-\\-user EMAIL" in man
    assert not re.search(r"^[.'](?!TH|SH|SS|TP|B |PP|nf|fi)", man, re.M)


def test_every_option_in_the_option_tables_has_help():
    """The other direction: an option added to a command's table in src/cli/*.c without a
    line in src/cli/help.c fails here."""
    src = pathlib.Path(__file__).resolve().parents[2] / "src" / "cli"
    in_code = {m for f in src.glob("*.c") if f.name != "help.c"
               for m in re.findall(r'\.name = "(--[a-z0-9-]+)"', f.read_text())}
    assert "--json" in in_code and "--user" in in_code
    man = cli_ok(run_jeton("help", "--man")).stdout.replace("\\-", "-")
    missing = sorted(o for o in in_code if not re.search(rf"^\.B {re.escape(o)}\b", man, re.M))
    assert not missing, f"options without help: {missing}"
