"""Stand-in for ansible-test's get-pip bootstrap script, whose download host is unreachable here.

ansible-test runs this file with pip's options as arguments inside each fresh sanity venv. It
bootstraps pip from the standard library (ensurepip) and installs the requested packages from
the package index, which is what get-pip.py does.
"""

import ensurepip
import os
import subprocess
import sys

# ansible-test runs this with a scrubbed environment; keep using the system's CA bundle.
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

ensurepip.bootstrap(upgrade=True)
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
if os.path.exists(SYSTEM_CA_BUNDLE):
    args = ["--cert", SYSTEM_CA_BUNDLE, *args]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
