"""The timing every reference in this folder shares: warm-up calls, then `reps` timed calls of one
iteration, printed as one JSON line with the median milliseconds and the median of the value each
call returns (a log Z, a bound or a loss: a check that the reference computes what it should)."""

import json
import statistics
import time


def report(iteration, reps, threads, value_name, warmup=1):
    """Times `iteration` (returning a float) and prints {"ms_per_iter_median", value_name, ...}."""
    for _ in range(warmup):
        iteration()
    times, values = [], []
    for _ in range(reps):
        t = time.perf_counter()
        values.append(iteration())
        times.append(1000 * (time.perf_counter() - t))
    print(
        json.dumps(
            {
                "ms_per_iter_median": statistics.median(times),
                value_name: statistics.median(values),
                "reps": reps,
                "threads": threads,
            }
        )
    )
