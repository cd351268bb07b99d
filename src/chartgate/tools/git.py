"""git: changed-path detection and reading files at a base ref (for `chartgate gate`)."""

from __future__ import annotations

from pathlib import Path

from chartgate import proc


class GitError(RuntimeError):
    pass


def _git(repo: Path, *args: str) -> str:
    try:
        return proc.run(["git", "-C", str(repo), *args], timeout=60).stdout
    except proc.ProcessError as exc:
        raise GitError(f"git {' '.join(args)} failed in {repo}: {exc.stderr.strip() or exc}") from exc


def toplevel(path: Path) -> Path:
    return Path(_git(path, "rev-parse", "--show-toplevel").strip())


def merge_base(repo: Path, ref: str, head: str = "HEAD") -> str:
    """The commit ``ref`` and ``head`` share last (where a branch forked from ``ref``)."""
    return _git(repo, "merge-base", ref, head).strip()


def changed_files(repo: Path, base: str, paths: list[str]) -> list[str]:
    """Files under ``paths`` that differ between ``base`` (merge base) and the work tree."""
    merge_base = _git(repo, "merge-base", base, "HEAD").strip()
    out = _git(repo, "diff", "--name-only", merge_base, "--", *paths)
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard", "--", *paths)
    return sorted({ln for ln in (out + untracked).splitlines() if ln.strip()})


def show(repo: Path, ref: str, path: str) -> str | None:
    """Contents of ``path`` at ``ref``, or None if it did not exist there."""
    res = proc.run(["git", "-C", str(repo), "show", f"{ref}:{path}"], check=False, timeout=60)
    return res.stdout if res.returncode == 0 else None


def tree_id(repo: Path, ref: str, path: str) -> str:
    """The object id of ``path`` at ``ref`` (a content hash: equal trees, equal ids)."""
    return _git(repo, "rev-parse", f"{ref}:{path}").strip()


def archive(repo: Path, ref: str, path: str, out: Path) -> None:
    """Write the files under ``path`` at ``ref`` to the tar file ``out``."""
    _git(repo, "archive", "--format=tar", f"--output={out}", ref, "--", path)


def commits(repo: Path, ref: str, path: str) -> list[str]:
    """Commits reachable from ``ref`` (first parents) that changed ``path``, newest first."""
    return _git(repo, "log", "--first-parent", "--format=%H", ref, "--", path).split()


def first_parent(repo: Path, ref: str) -> str | None:
    """The first parent of ``ref``, or None for a root commit."""
    res = proc.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^1"], check=False,
                   timeout=60)
    return res.stdout.strip() if res.returncode == 0 else None


def rev_parse(repo: Path, ref: str) -> str:
    """The commit id ``ref`` names."""
    return _git(repo, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()
