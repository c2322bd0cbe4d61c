"""Published numbers to set beside anneal's results, with their sources, into
docs/results/published.json (rendered to docs/results/published.md by scripts/render-results.ts).

- The CMCD authors' results file: ELBO and log Z for every method and number of steps, as their
  plots use them. It is a pickled pandas DataFrame; this reads it with numpy alone (no pandas),
  rebuilding the frame's columns from its pickled blocks. Get it with
      git clone https://github.com/shreyaspadhy/CMCD && cd CMCD && git show \
        22b712c2f3ae6e1fd7d8e36bb935fcabd0a9f637:src/saved_data/final_results.pkl > final_results.pkl
- FAB's README (lollcat/fab-jax): the mean absolute error of its log Z estimates, quoted.

Usage: python3 scripts/published/extract.py final_results.pkl [docs/results/published.json]
Needs python3 and numpy; nothing of the project depends on it.
"""

import json
import math
import pickle
import sys

import numpy as np

CMCD_COMMIT = "22b712c2f3ae6e1fd7d8e36bb935fcabd0a9f637"
FAB_COMMIT = "03b026dbe68ba8613fe782c3369459f2bc19fde8"

# The results file's method codes, named as the CMCD README names them.
METHODS = {
    "MCD_ULA": "ULA",
    "MCD_ULA_sn": "MCD",
    "UHA": "UHA",
    "MCD_U_a-lp-sn": "LDVI",
    "MCD_CAIS_sn": "CMCD",
    "MCD_CAIS_UHA_sn": "CMCD (second order)",
    "smc": "SMC",
    "craft": "CRAFT",
    "aft": "AFT",
    "PIS": "PIS",
    "DDS": "DDS",
}


class _Stub:
    """Stands in for a pandas class: keeps what the pickle passes to it."""

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        obj.args = args
        return obj

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.state = state


class _Unpickler(pickle.Unpickler):
    stubs = {}

    def find_class(self, module, name):
        if module == "builtins":
            return super().find_class(module, name)
        if module.startswith("numpy"):
            if hasattr(np, "_core"):
                module = module.replace("numpy.core", "numpy._core")
            return super().find_class(module, name)
        key = f"{module}.{name}"
        return self.stubs.setdefault(key, type(name, (_Stub,), {}))


def read_frame(path):
    """The rows of a pickled DataFrame as dicts, from its block manager's blocks and axes."""
    with open(path, "rb") as f:
        frame = _Unpickler(f).load()
    blocks, axes = frame.state["_mgr"].args
    columns = list(axes[0].args[1]["data"])
    length = len(axes[1].args[1]["data"])
    values = {}
    for block in blocks:
        array, where, _ndim = block.args
        for j, c in enumerate(range(where.start, where.stop, where.step or 1)):
            values[str(columns[c])] = array[j]
    return [{str(c): values[str(c)][i] for c in columns} for i in range(length)]


def number(x):
    x = float(x)
    return None if math.isnan(x) else x


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[2] if len(sys.argv) > 2 else "docs/results/published.json"
    rows = []
    for r in read_frame(sys.argv[1]):
        rows.append(
            {
                "model": str(r["model"]),
                "method": METHODS.get(str(r["boundmode"]), str(r["boundmode"])),
                "steps": int(r["nbridges"]),
                "elbo": number(r["elbo"]),
                "elboStd": number(r["elbo_std"]),
                "logZ": number(r["ln_Z"]),
                "logZStd": number(r["ln_Z_std"]),
            }
        )
    rows.sort(key=lambda r: (r["model"], r["method"], r["steps"]))
    data = {
        "cmcd": {
            "source": {
                "repository": "shreyaspadhy/CMCD",
                "commit": CMCD_COMMIT,
                "path": "src/saved_data/final_results.pkl",
            },
            "note": "the columns elbo, ln_Z and their _std columns of the authors' results file; "
            "method codes named as the repository's README names them",
            "rows": rows,
        },
        "fab": {
            "source": {"repository": "lollcat/fab-jax", "commit": FAB_COMMIT, "path": "README.md"},
            "note": "mean absolute error of log Z over 10 batches of 2000 samples, mean and standard "
            "error over 5 seeds, as the README's table gives them",
            "logZMae": [
                {"target": "gmm (gmm_v1)", "mae": 0.00269, "stdErr": 0.000538},
                {"target": "funnel", "mae": 0.00218, "stdErr": 0.000506},
                {"target": "cox", "mae": 0.194, "stdErr": 0.0394},
                {"target": "many-well", "mae": 0.0316, "stdErr": 0.00417},
            ],
        },
    }
    with open(out, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(rows)} rows of the CMCD results", file=sys.stderr)


if __name__ == "__main__":
    main()
