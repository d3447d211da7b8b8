"""The image's HEALTHCHECK, for both services: GET http://127.0.0.1:$HTTP_PORT/healthz, exit 0 on a 200."""
import os
import sys
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('HTTP_PORT', '8000')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return 0 if r.status == 200 else 1
    except Exception as e:  # refused, timeout, a 503
        print(f"healthcheck: {url}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
