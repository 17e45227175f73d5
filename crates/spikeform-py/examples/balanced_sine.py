"""Train examples/balanced_sine.toml's experiment from Python and print its test r, which equals
`spikeform run examples/balanced_sine.toml`'s test.r_mean to the last digit (same seed)."""
import sys

import spikeform

file = sys.argv[1] if len(sys.argv) > 1 else "examples/balanced_sine.toml"
exp = spikeform.Experiment(file)
run = exp.run(progress=lambda phase, done, total, msg: print(f"\r{phase} {done}/{total} {msg}   ", end="", file=sys.stderr))
print(file=sys.stderr)
print(f"test r = {run.r!r} (r per loop: {', '.join(f'{r:.4f}' for r in run.r_per_loop)})")
