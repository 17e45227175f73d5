#!/bin/sh
# One balanced_alm training run per RLS option, side by side: seconds per loop and r per loop
# (training_curve.csv of each run), with the load average before and after each run.
#
#   sh benches/rls/options.sh [LOOPS] [OUT_DIR]      (run from the repository root, after
#                                                    cargo build --release -p spikeform-cli)
#
# Each loop includes its evaluation trial (r needs it). The textbook packed-f32 update (the
# example's default) runs first and again last, to show the drift of a shared machine.
set -eu
loops=${1:-3}
out=${2:-target/rls-options}
bin=target/release/spikeform
mkdir -p "$out"
run() {
    label=$1
    shift
    rm -rf "$out/$label"
    before=$(cut -d' ' -f1 /proc/loadavg)
    "$bin" run examples/balanced_alm.toml --set training.loops="$loops" --set test.trials=1 \
        --set training.checkpoint_every=0 "$@" --out "$out/$label" >"$out/$label.log" 2>&1
    after=$(cut -d' ' -f1 /proc/loadavg)
    echo "== $label (load $before -> $after): loop, r, seconds"
    tail -n +2 "$out/$label/training_curve.csv"
}
run textbook_packed_f32
run textbook_packed_f16 --set training.rls.precision=f16
run deferred_dense_f32 --set training.rls.update=deferred --set training.rls.storage=dense
run deferred_dense_f16 --set training.rls.update=deferred --set training.rls.storage=dense \
    --set training.rls.precision=f16
run textbook_packed_f32_again
