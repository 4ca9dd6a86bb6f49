# rsvheat_mm: one-command setup, demo and tests.
#   make install   create .venv with the pinned stack (idempotent, quick when done)
#   make demo      install, then train + evaluate + draw the demo model
#   make test      install, then run the test suite
PY := .venv/bin/python
DEMO_CFG := configs/demo/upernet_rsvheat-demo_600it_synthetic-rs-128.py
DEMO_DIR := work_dirs/demo

.PHONY: install demo test test-fast clean

install:
	bash tools/install.sh

demo: install
	$(PY) tools/train.py $(DEMO_CFG) --work-dir $(DEMO_DIR)
	$(PY) tools/test.py $(DEMO_CFG) $(DEMO_DIR)/iter_600.pth --work-dir $(DEMO_DIR)/test
	$(PY) tools/visualize_predictions.py $(DEMO_CFG) $(DEMO_DIR)/iter_600.pth --out $(DEMO_DIR)/predictions.png

test: install
	$(PY) -m pytest tests -q -p no:cacheprovider --durations=15

test-fast: install
	$(PY) -m pytest tests -q -m "not slow"

clean:
	rm -rf $(DEMO_DIR) .pytest_cache
