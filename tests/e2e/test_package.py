"""The .deb, its systemd unit and the container image's build steps (issue 11, docs/DEPLOYMENT.md).

  * test_deb_contents_and_installed_binary: scripts/container-build-steps.sh build (the
    steps of `make package` and of the Dockerfile's build stage) makes a .deb from the
    existing build directory (nothing is recompiled); its control data has the version
    scheme, Depends computed by dpkg-shlibdeps and /etc/sluice/sluice.yml as a conffile;
    unpacked with `dpkg -x` into a scratch root it has the binary (symbols kept for pprof,
    DWARF stripped), the unit, the production configuration and the docs; the unpacked
    binary prints the package's version and this commit and accepts the unpacked
    configuration with --check-config; apt resolves the package's dependencies (the
    Dockerfile's runtime stage, simulated).
  * test_version_stamp_and_ordering: cmake/GitVersion.cmake outside git gives the plain
    version and commit "unknown" (or what SLUICE_GIT_COMMIT/COUNT say, as in the container
    build), inside git <version>+<commits>.g<hash>; dpkg orders such versions as
    DEPLOYMENT.md says, so `apt install sluice=<older>` is a downgrade.
  * test_unit_verifies_and_is_hardened: `systemd-analyze verify` on the unpacked unit
    (scratch root, so ExecStart is the unpacked binary) passes without a warning, and
    `systemd-analyze security` (offline) rates it at most 2.0 ("OK"); the unit has
    Type=notify, the watchdog, SIGHUP reload and the hardening DEPLOYMENT.md promises.

Environment: SLUICE_BUILD_DIR / SLUICE_SOURCE_DIR as in sluice_e2e.py.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice_e2e as e2e  # noqa: E402

STEPS = e2e.SOURCE_DIR / "scripts" / "container-build-steps.sh"
UNIT = "sluice.service"
# What the security verdict must stay within: systemd calls <= 2.0 "OK" (0 = best, 10 = worst).
MAX_EXPOSURE = 2.0
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(\+\d+\.g[0-9a-f]{7})?$")


def run(argv, timeout=120, check=True, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kw)
    if check:
        assert p.returncode == 0, f"{' '.join(map(str, argv))} exited {p.returncode}:\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}"
    return p


def git(*args) -> str | None:
    try:
        p = subprocess.run(["git", "-C", str(e2e.SOURCE_DIR), *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def package_of_library(soname: str) -> str:
    """The Debian package that ships the library `soname` as the dynamic linker finds it."""
    m = re.search(rf"^\s*{re.escape(soname)} \([^)]*\) => (\S+)$", run(["ldconfig", "-p"]).stdout, re.M)
    assert m, f"ldconfig does not know {soname}"
    path = Path(m.group(1))
    for candidate in (path, path.resolve()):
        p = run(["dpkg", "-S", candidate], check=False)
        if p.returncode == 0:
            return p.stdout.split(":")[0].strip()
        # /lib is a symlink to /usr/lib on Debian 12: dpkg may know the other spelling
        alt = str(candidate).replace("/usr/lib/", "/lib/", 1) if str(candidate).startswith("/usr/") else "/usr" + str(candidate)
        p = run(["dpkg", "-S", alt], check=False)
        if p.returncode == 0:
            return p.stdout.split(":")[0].strip()
    raise AssertionError(f"no package owns {path}")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> dict:
    """Builds the .deb once for this module and unpacks it into a scratch root."""
    if not (e2e.BUILD_DIR / "build.ninja").exists():
        pytest.fail(f"{e2e.BUILD_DIR} is not a configured build directory")
    out = tmp_path_factory.mktemp("deb")
    p = run([STEPS, "build", e2e.BUILD_DIR, out], timeout=600)
    debs = sorted(out.glob("sluice_*.deb"))
    assert len(debs) == 1, f"expected one sluice_*.deb in {out}: {list(out.iterdir())}\n{p.stdout}"
    deb = debs[0]
    root = tmp_path_factory.mktemp("root")
    run(["dpkg", "-x", deb, root])
    fields = {}
    for name in ("Package", "Version", "Architecture", "Depends", "Maintainer", "Description"):
        fields[name] = run(["dpkg-deb", "-f", deb, name]).stdout.strip()
    ctrl = {}
    with tarfile.open(fileobj=io.BytesIO(subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(deb)],
                                                        capture_output=True, check=True).stdout)) as t:
        for m in t.getmembers():
            if m.isfile():
                ctrl[Path(m.name).name] = (m.mode, t.extractfile(m).read().decode())
    return {"deb": deb, "root": root, "fields": fields, "control": ctrl, "build_log": p.stdout}


def test_deb_contents_and_installed_binary(package):
    root: Path = package["root"]
    f = package["fields"]
    assert f["Package"] == "sluice"
    assert VERSION_RE.match(f["Version"]), f"version {f['Version']!r} does not follow DEPLOYMENT.md's scheme"
    if git("rev-parse", "HEAD"):
        count, short = git("rev-list", "--count", "HEAD"), git("rev-parse", "--short=7", "HEAD")
        assert f["Version"].endswith(f"+{count}.g{short}"), (f["Version"], count, short)
    # Runtime dependencies from dpkg-shlibdeps: every shared library the binary needs is
    # provided by a package in Depends, and they carry minimum versions.
    depends = {d.split()[0]: d for d in (x.strip() for x in f["Depends"].split(","))}
    binary = root / "usr/bin/sluice"
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run(["readelf", "-d", binary]).stdout)
    assert "libssl.so.3" in needed and "libc.so.6" in needed, needed
    for soname in needed:
        owner = package_of_library(soname)
        provides = run(["dpkg-query", "-W", "-f=${Provides}", owner]).stdout
        names = {owner} | {x.split()[0] for x in provides.split(",") if x.strip()}
        assert names & set(depends), f"{soname} comes from {owner} ({names}), which Depends lacks: {f['Depends']}"
    assert "(>=" in depends["libc6"] and "(>=" in depends["libssl3"], f["Depends"]

    # conffiles: the operator's edits survive upgrades.
    assert "conffiles" in package["control"], sorted(package["control"])
    assert package["control"]["conffiles"][1].split() == ["/etc/sluice/sluice.yml"]
    for script in ("postinst", "prerm", "postrm"):
        mode, text = package["control"][script]
        assert mode & 0o111, f"{script} is not executable ({oct(mode)})"
        assert text.startswith("#!/bin/sh"), text[:80]
        assert "/run/systemd/system" in text, f"{script} must do nothing without systemd (containers)"

    expected = ["usr/bin/sluice", "etc/sluice/sluice.yml", "lib/systemd/system/sluice.service",
                "usr/share/doc/sluice/DEPLOYMENT.md", "usr/share/doc/sluice/README.md",
                "usr/share/doc/sluice/CONFIGURATION.md", "usr/share/doc/sluice/METRICS.md",
                "usr/share/doc/sluice/examples/sluice.json", "usr/share/doc/sluice/examples/prometheus.yml"]
    for rel in expected:
        assert (root / rel).is_file(), f"{rel} is not in the package"
    assert os.access(binary, os.X_OK)
    assert (root / "etc/sluice/sluice.yml").read_text() == (e2e.SOURCE_DIR / "deploy/package/sluice.yml").read_text()

    # Function names stay for pprof (DEPLOYMENT.md), debug info does not.
    sections = run(["readelf", "-S", "-W", binary]).stdout
    assert ".debug_info" not in sections, "the packaged binary still carries DWARF"
    assert ".symtab" in sections, "the packaged binary lost its symbol table (pprof needs it)"
    assert binary.stat().st_size < 30 * 1024 * 1024, binary.stat().st_size

    # The unpacked binary: its version is the package's, its commit this checkout's.
    v = run([binary, "--version"], timeout=10).stdout.strip()
    m = re.match(r"^sluice (\S+) \(commit (\S+)\)$", v)
    assert m, v
    assert m.group(1) == f["Version"], (v, f["Version"])
    head = git("rev-parse", "HEAD")
    if head:
        assert head.startswith(m.group(2).removesuffix("-dirty")), (v, head)
    else:
        assert m.group(2) == "unknown", v

    # The production configuration it installs is valid, and is not the demo.
    c = run([binary, "--check-config", root / "etc/sluice/sluice.yml"], timeout=10)
    assert "is valid: 0 path(s)" in c.stdout, c.stdout + c.stderr
    assert c.stderr == "", f"the installed configuration draws warnings:\n{c.stderr}"
    conf = (root / "etc/sluice/sluice.yml").read_text()
    assert "source: demo" not in conf
    # The seed deployment's example (DEPLOYMENT.md) loads too, without a warning.
    c = run([binary, "--check-config", root / "usr/share/doc/sluice/examples/sluice-seed64.yml"], timeout=10)
    assert "is valid: 64 path(s)" in c.stdout and c.stderr == "", c.stdout + c.stderr

    # The runtime stage of the Dockerfile: apt can satisfy Depends on Debian 12.
    sim = run([STEPS, "install", package["deb"], "--simulate"], timeout=120)
    assert re.search(r"^Inst sluice ", sim.stdout, re.M), sim.stdout[-3000:]


def _unit_root(package, tmp_path) -> Path:
    """The unpacked package plus what `systemd-analyze verify --root` resolves besides our
    unit: the host's targets and slices, and /bin/kill for ExecReload."""
    root = tmp_path / "root"
    shutil.copytree(package["root"], root, symlinks=True)
    units = root / "lib/systemd/system"
    for src in Path("/lib/systemd/system").iterdir():
        if src.suffix in (".target", ".slice") and not (units / src.name).exists():
            shutil.copy2(src, units / src.name, follow_symlinks=False)
    (root / "bin").mkdir(exist_ok=True)
    shutil.copy2("/bin/kill", root / "bin/kill")
    return root


def unit_settings(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        k, _, v = line.partition("=")
        out.setdefault(k, []).append(v)
    return out


def test_unit_verifies_and_is_hardened(package, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is missing: scripts/install-deps.sh test installs Debian's systemd")
    root = _unit_root(package, tmp_path)
    v = run(["systemd-analyze", "verify", f"--root={root}", UNIT], check=False, timeout=60)
    assert v.returncode == 0 and not (v.stdout + v.stderr).strip(), \
        f"systemd-analyze verify: exit {v.returncode}\n{v.stdout}{v.stderr}"

    s = run(["systemd-analyze", "security", "--offline=yes", f"--root={root}", UNIT], check=False, timeout=60)
    m = re.search(r"Overall exposure level for sluice\.service: (\d+\.\d+) (\w+)", s.stdout)
    assert m, f"no verdict from systemd-analyze security:\n{s.stdout[-3000:]}{s.stderr}"
    score = float(m.group(1))
    print(f"systemd-analyze security sluice.service: {score} {m.group(2)}")
    assert score <= MAX_EXPOSURE, f"exposure {score} > {MAX_EXPOSURE}:\n{s.stdout}"
    documented = (e2e.SOURCE_DIR / "docs/DEPLOYMENT.md").read_text()
    assert f"{score:.1f}" in documented, f"DEPLOYMENT.md does not state the score {score:.1f}"

    u = unit_settings((root / "lib/systemd/system/sluice.service").read_text())
    want = {"Type": "notify", "ExecReload": "/bin/kill -HUP $MAINPID", "Restart": "on-failure",
            "DynamicUser": "yes", "ProtectSystem": "strict", "NoNewPrivileges": "yes",
            "CapabilityBoundingSet": "", "ExecStart": "/usr/bin/sluice /etc/sluice/sluice.yml"}
    for k, val in want.items():
        assert u.get(k) == [val], f"{k}={u.get(k)} (want {val!r})"
    assert int(u["LimitNOFILE"][0]) >= 16384, u["LimitNOFILE"]
    watchdog = u["WatchdogSec"][0]
    assert re.fullmatch(r"\d+s", watchdog) and int(watchdog[:-1]) >= 5, watchdog


def stamp(tmp_path: Path, source_dir: Path, env: dict | None = None) -> tuple[str, str]:
    """Runs cmake/GitVersion.cmake as the build does; returns (version, commit) it wrote."""
    out = tmp_path / "stamp"
    run(["cmake", f"-DSOURCE_DIR={source_dir}", f"-DOUT_DIR={out}", "-DPROJECT_VERSION=0.1.0",
         "-P", e2e.SOURCE_DIR / "cmake/GitVersion.cmake"], timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("SLUICE_GIT_")} | (env or {}))
    text = (out / "SluiceVersion.cpp").read_text()
    version = re.search(r'kVersion = "([^"]*)"', text).group(1)
    commit = re.search(r'kGitCommit = "([^"]*)"', text).group(1)
    cmake_text = (out / "SluiceVersion.cmake").read_text()
    assert f'set(SLUICE_PACKAGE_VERSION "{version}")' in cmake_text, cmake_text
    return version, commit


def test_version_stamp_and_ordering(tmp_path):
    # Outside git (a source tarball, the container's build context): the plain version.
    bare = tmp_path / "tarball"
    bare.mkdir()
    assert stamp(tmp_path, bare) == ("0.1.0", "unknown")
    # ... unless the builder says what git would have (docker build --build-arg ...).
    assert stamp(tmp_path, bare, {"SLUICE_GIT_COMMIT": "0123456789abcdef0123", "SLUICE_GIT_COUNT": "42"}) == \
        ("0.1.0+42.g0123456", "0123456789ab")
    # ... and junk there is ignored.
    assert stamp(tmp_path, bare, {"SLUICE_GIT_COMMIT": "not-a-hash", "SLUICE_GIT_COUNT": "42"}) == ("0.1.0", "unknown")
    # In this checkout: commit count and hash.
    head = git("rev-parse", "HEAD")
    if head:
        version, commit = stamp(tmp_path, e2e.SOURCE_DIR)
        assert version == f"0.1.0+{git('rev-list', '--count', 'HEAD')}.g{head[:7]}", version
        assert commit.removesuffix("-dirty") == head[:12], commit

    # dpkg orders versions as DEPLOYMENT.md promises, so apt can up- and downgrade by them.
    ordered = ["0.1.0", "0.1.0+9.gfffffff", "0.1.0+10.g0000000", "0.1.0+212.g1a2b3c4", "0.1.1", "0.2.0+1.gabcdef0"]
    for older, newer in zip(ordered, ordered[1:]):
        assert run(["dpkg", "--compare-versions", older, "lt", newer], check=False).returncode == 0, (older, newer)
