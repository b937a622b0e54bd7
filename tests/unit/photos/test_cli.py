from __future__ import annotations

from inspect_api.cli import build_parser, cmd_cleanup_uploads, main


def test_cleanup_uploads_subcommand_defaults_to_a_day() -> None:
    args = build_parser().parse_args(["cleanup-uploads"])
    assert args.handler is cmd_cleanup_uploads and args.older_than_hours == 24


def test_cleanup_uploads_needs_a_database(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["cleanup-uploads", "--older-than-hours", "1"]) == 2
    assert "DATABASE_URL" in capsys.readouterr().err
