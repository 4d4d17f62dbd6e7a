from pathlib import Path
from tests.agent.helpers import acting_mandate
from tests.conftest import Book

def test_x(cli, book: Book, tmp_path: Path, session) -> None:
    cli("init")
    book.load(cli)
    cli("agent", "mandate", "load", str(acting_mandate(tmp_path)))
    r = cli("agent", "run", "--as-of", "2026-12-01", "--format", "json")
    for a in r.json():
        print("A", a)
    assert False
