"""The sign-in libraries' folder: on sys.path only once a passkey or OpenID Connect sign-in needs it.

The package ships py_webauthn, authlib, joserfc and cryptography (requirements-signin.txt) in ``signin_libs/``
beside app.py, not at the zip's root, which is on sys.path. At the root, botocore would import pyOpenSSL (and so
cryptography) at every cold start, and PyJWT cryptography, for requests that sign nobody in with a passkey or an
issuer's key. blog/passkeys.py and blog/oidc_client.py call ``load`` before their first import of those
libraries. Locally (make run, make test) the folder does not exist and the virtualenv has them: nothing to do.
"""

from __future__ import annotations

import os
import sys

FOLDER = "signin_libs"
# app.py's directory: /var/task in Lambda.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(root: str = _ROOT) -> None:
    """Append the package's signin_libs/ folder to sys.path, once, where there is one."""
    folder = os.path.join(root, FOLDER)
    if folder not in sys.path and os.path.isdir(folder):
        sys.path.append(folder)  # last: nothing it holds can shadow the app's or the runtime's modules
