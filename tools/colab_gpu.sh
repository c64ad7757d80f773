#!/usr/bin/env bash
# Every lesson in full mode on a GPU machine with Colab's course-relevant packages (its torch is Colab's).
#   here:          tools/colab_gpu.sh bundle   # wheels of Colab's pins the GPU machine lacks -> .carry/
#   GPU machine:   tools/colab_gpu.sh run      # writes $OUT/gpu_lessons.json, bench.log, executed.tar.gz
# The GPU machine has no internet: the bundle is unpacked onto PYTHONPATH, the course installed from this
# checkout, and the lessons run against stand-ins of the downloads' sizes (`python -m dlcourse_tools bench lessons --full`);
# copy $OUT/gpu_lessons.json to src/dlcourse/weights/lesson_times_gpu.json (the course map and the checkup read it).
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=.carry/colab-gpu-site.tar.xz
case "${1:-}" in
bundle)
    # What the GPU machine's image lacks, at Colab's versions (cp312: that machine's Python).
    mkdir -p .carry && tmp=$(mktemp -d)
    py313=$(PYTHONPATH=tools python3 -c "from dlcourse_tools.colab import colab_python; print(colab_python())")
    PYTHONPATH=tools "$py313" -m dlcourse_tools.colab missing >"$tmp/want.txt"  # pip of Colab's Python resolves
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_5_x86_64 \
        --platform manylinux1_x86_64 -d "$tmp/wheels" -r "$tmp/want.txt"
    mkdir "$tmp/site" && for w in "$tmp"/wheels/*.whl; do unzip -q -o "$w" -d "$tmp/site"; done
    tar cf - -C "$tmp/site" . | xz -9 -T2 >"$BUNDLE" && rm -rf "$tmp" && ls -l "$BUNDLE"
    ;;
run)
    OUT=${OUT:-/tmp/out} && mkdir -p "$OUT" /tmp/site /tmp/executed
    tar xJf "$BUNDLE" -C /tmp/site
    export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 PYDEVD_DISABLE_FILE_VALIDATION=1
    python3 -m pip install -q --no-deps --no-build-isolation --no-index --target /tmp/site . ./tools 2>&1 | tail -3
    df -h /dev/shm | tail -1 || true
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    python3 -m pip list --format=freeze >"$OUT/pip-list.txt" 2>/dev/null || true
    python3 -c "import sys, torch, fastai; print(sys.version.split()[0], torch.__version__, torch.cuda.is_available(), fastai.__version__)" || true
    shift
    lessons=("$@") && [ $# -gt 0 ] || lessons=(lessons/0[2-9]_*.ipynb lessons/01_*.ipynb lessons/1[0-9]_*.ipynb)
    # the lessons stop before the device call's own limit ends the machine (RUN_S: seconds for all of them)
    timeout "${RUN_S:-540}" python3 -m dlcourse_tools bench lessons --full --timeout 300 --keep /tmp/executed \
        --record "$OUT/gpu_lessons.json" "${lessons[@]}" 2>&1 | tee "$OUT/bench.log" || true
    tar czf "$OUT/executed.tar.gz" -C /tmp/executed .
    ;;
*) echo "usage: $0 bundle|run [lessons...]" >&2 && exit 2 ;;
esac
