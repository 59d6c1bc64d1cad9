import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests assert behaviour, not speed (speed lives in bench/): no per-example deadline, which a
# loaded 2-core CI runner exceeds now and then (a 200 ms deadline failed at 261 ms beside two trainings).
settings.register_profile("chain-ie", deadline=None)
settings.load_profile("chain-ie")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
LABEL_STUDIO_TOKEN = "chain-ie-test-token"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def gold_examples():
    from train.data import load_examples

    return load_examples([ROOT / "annotations" / "gold"])


@pytest.fixture(scope="session")
def tiny_config():
    """Writes FOLDER/tiny.yaml: a 1-layer/32-hidden BERT trained for `max_steps` (seconds on CPU),
    output FOLDER/tiny; `data` overrides the recipe's data section, `training` its training settings.
    Returns the config's path."""
    import yaml

    def write(folder: Path, max_steps: int, data: dict, **training) -> Path:
        config = folder / "tiny.yaml"
        config.write_text(yaml.safe_dump({
            "schema": str(ROOT / "configs" / "schema.yaml"),
            "data": data,
            "model": {"layers": 1, "hidden": 32, "heads": 2, "max_length": 64, "stride": 16},
            "training": {"max_steps": max_steps, "batch_size": 8, "learning_rate": 1e-3, **training},
            "output": str(folder / "tiny"),
        }))
        return config

    return write


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def unused_port():
    return free_port


@dataclass(frozen=True)
class LabelStudioServer:
    url: str
    token: str
    setup_seconds: float
    log: Path


@pytest.fixture(scope="session")
def labelstudio_server(tmp_path_factory):
    """One real Label Studio per test session (test_labelstudio.py and test_ml_backend.py): `label-studio
    init` into a temporary data dir on 127.0.0.1 with telemetry off, then `label-studio start`, stopped
    by PID at the end. ML_BLOCK_LOCAL_IP and SSRF_PROTECTION_ENABLED are off because the ML backend under
    test listens on 127.0.0.1: Label Studio 1.23 refuses a local backend URL otherwise (ml/serializers.py,
    validate_url) and silently creates no webhook for it (ml/models.py, create_ml_webhook). The ML
    timeouts are raised from 1-3 s so that a loaded 2-core machine does not fail a health check."""
    exe = Path(sys.executable).with_name("label-studio")
    data = tmp_path_factory.mktemp("labelstudio")
    port = free_port()
    env = {**os.environ, "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "", "LATEST_VERSION_CHECK": "false",
           "COLLECT_ANALYTICS": "false", "LABEL_STUDIO_BASE_DATA_DIR": str(data),
           "ML_BLOCK_LOCAL_IP": "false", "SSRF_PROTECTION_ENABLED": "false", "ML_CONNECTION_TIMEOUT": "10",
           "ML_TIMEOUT_HEALTH": "10", "ML_TIMEOUT_SETUP": "10", "WEBHOOK_TIMEOUT": "10"}
    args = ["--data-dir", str(data), "-db", str(data / "ls.sqlite3"), "--username", "test@chain-ie.local",
            "--password", "chain-ie-test", "--user-token", LABEL_STUDIO_TOKEN, "--enable-legacy-api-token",
            "--internal-host", "127.0.0.1", "-p", str(port), "--no-browser"]
    started = time.monotonic()
    init = subprocess.run([str(exe), "init", *args], env=env, capture_output=True, text=True, timeout=900)
    assert init.returncode == 0, init.stdout[-2000:] + init.stderr[-2000:]
    log_path = data / "server.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([str(exe), "start", *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "Label Studio did not answer /health within 300 s"
            time.sleep(0.5)
        seconds = time.monotonic() - started
        print(f"\nLabel Studio init + start: {seconds:.1f} s", file=sys.stderr)
        yield LabelStudioServer(url, LABEL_STUDIO_TOKEN, seconds, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
