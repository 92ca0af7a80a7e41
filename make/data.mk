# Sample data and the seeded flight generator (tools/datagen/, stdlib + the job's contract).

ROWS ?= 1000000
DAYS ?= 3
SEED ?= 42
BAD_RATE ?= 0
START_DATE ?= 2024-01-01
FILES_PER_DAY ?= 1
DATA_OUT ?= data/generated
# Extra generator flags, e.g. DATAGEN_ARGS=--gzip
DATAGEN_ARGS ?=

# The committed sample: two clean days and one day with 2% bad rows (quarantine demo).
SAMPLE_DIR := data/sample
SAMPLE_ROWS := 2000
SAMPLE_SEED := 20240101

.PHONY: data
data: venv ## Generate flights: make data ROWS=1000000 DAYS=3 [SEED=42 BAD_RATE=0] (ROWS is per day)
	$(PY) -m tools.datagen --out $(DATA_OUT) --rows $(ROWS) --days $(DAYS) \
	  --start-date $(START_DATE) --seed $(SEED) --bad-rate $(BAD_RATE) \
	  --files-per-day $(FILES_PER_DAY) $(DATAGEN_ARGS)

.PHONY: sample-data
sample-data: venv ## Regenerate the committed sample in data/sample
	$(PY) -m tools.datagen --out $(SAMPLE_DIR) --rows $(SAMPLE_ROWS) --days 2 \
	  --start-date 2024-01-01 --seed $(SAMPLE_SEED) --bad-rate 0
	$(PY) -m tools.datagen --out $(SAMPLE_DIR) --rows $(SAMPLE_ROWS) --days 1 \
	  --start-date 2024-01-03 --seed $(SAMPLE_SEED) --bad-rate 0.02
