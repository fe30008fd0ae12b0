# Two commands do everything on a fresh Debian machine with python3 and make:
#   make run   - the app on the built-in demo study (headless: writes the demo report instead)
#   make test  - system packages (as root), the venv, then the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mitraplan-installed
DEMO_OUT ?= demo-out

.PHONY: run test bench wheel bundle sysdeps venv lint clean

# constraints.txt pins every package of the install (decoders included) to the versions the suite passed with;
# the bundle extra (PyInstaller) too, as tests/test_bundle.py builds the application bundle
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test,bundle]'
	touch $(STAMP)

venv: $(STAMP)

sysdeps:
	@sh tools/system-deps.sh

run: sysdeps $(STAMP)
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
		$(VENV)/bin/mitraplan demo --out $(DEMO_OUT); \
	else \
		echo "No display found (DISPLAY/WAYLAND_DISPLAY unset): writing the demo study and its report headless to $(DEMO_OUT)/"; \
		QT_QPA_PLATFORM=offscreen $(VENV)/bin/mitraplan demo --headless --out $(DEMO_OUT); \
		echo "Open $(DEMO_OUT)/report/report.pdf to read it, or run 'make run' where a display is available (e.g. 'xvfb-run make run')."; \
	fi

# ruff (style and bug patterns), mypy (strict types), import-linter (the layer rule); configured in pyproject.toml
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# the lint, then every test including the slow ones (-m "not slow" for a quick local run: see CONTRIBUTING.md)
test: sysdeps lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest --durations=15

bench: sysdeps $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

# the installable wheel in dist/ (pipx install dist/mitraplan-*.whl: README, Installing on a clinical workstation)
wheel: $(STAMP)
	$(PY) -m pip wheel --no-deps --no-build-isolation -q -w dist .

# the self-contained application folder dist/mitraplan/ (executables mitraplan and mitraplan-gui; copy the folder
# to install: README, Installing on a clinical workstation); packaging/mitraplan.spec says why PyInstaller one-folder
bundle: $(STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/mitraplan.spec

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache $(DEMO_OUT) dist build
