"""`make bench`: run every benchmark module of this package and print its figures."""

import importlib
import pkgutil
import sys
from pathlib import Path

import django


def main() -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mache.settings")
    django.setup()
    only = set(sys.argv[1:])
    names = sorted(
        module.name
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not module.name.startswith("_") and (not only or module.name in only)
    )
    if not names:
        print("Aucun benchmark.")
    for name in names:
        print(f"== bench/{name}.py")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
