.PHONY: check test bench run
check:
	python3 tasks.py test
test: check
bench:
	python3 tasks.py bench
run:
	python3 tasks.py run
