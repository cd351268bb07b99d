"""``chartgate e2e images``: ``--build DIR=TAG`` builds the directory's image, ``--load-from
FILE`` adds the images listed there, and all are loaded with the load generator in one
``kind load``, before pytest; a malformed ``--build`` is refused with an example. Builds and
kind are replaced by recorders."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from chartgate import cache
from chartgate.e2e import cli, images


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="chartgate")
    cli.register(ap.add_subparsers(dest="cmd"))
    return ap


def test_build_images_are_loaded_with_the_load_generator(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cache, "locked", lambda name: _Null())
    built: list[tuple[str, str]] = []
    loaded: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(images, "build_loadgen", lambda: "chartgate.local/e2e-loadgen:1")
    monkeypatch.setattr(images, "build_dir", lambda ctx, tag: built.append((str(ctx), tag)) or tag)
    monkeypatch.setattr(images, "load_into_kind",
                        lambda cluster, refs: loaded.append((cluster, list(refs))) or list(refs))
    args = _parser().parse_args(["e2e", "images", "--cluster", "kc",
                                 "--build", "tests/e2e/smoke-image=chartgate.local/smoke-http:1"])
    assert args.func(args) == 0
    assert built == [("tests/e2e/smoke-image", "chartgate.local/smoke-http:1")]
    both = ["chartgate.local/e2e-loadgen:1", "chartgate.local/smoke-http:1"]
    assert loaded == [("kc", both)]
    assert capsys.readouterr().out.split() == both


def test_listed_images_are_loaded_in_the_same_kind_load(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setattr(cache, "locked", lambda name: _Null())
    loaded: list[list[str]] = []
    monkeypatch.setattr(images, "build_loadgen", lambda: "chartgate.local/e2e-loadgen:1")
    monkeypatch.setattr(images, "load_into_kind",
                        lambda cluster, refs: loaded.append(list(refs)) or list(refs))
    listing = tmp_path / "server-images"
    listing.write_text("clockwork:1.0.0\n\nclockwork:1.0.1\n")
    args = _parser().parse_args(["e2e", "images", "--cluster", "kc", "--load-from", str(listing)])
    assert args.func(args) == 0
    assert loaded == [["chartgate.local/e2e-loadgen:1", "clockwork:1.0.0", "clockwork:1.0.1"]]


@pytest.mark.parametrize("value", ["no-equals", "=tag", "dir="])
def test_build_needs_dir_and_tag(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["e2e", "images", "--build", value])
    assert "expected DIR=TAG" in capsys.readouterr().err


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
