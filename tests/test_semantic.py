"""The optional semantic layer (bot/semantic/layer.py) against the fake embeddings server: it ranks by
meaning, embeds each content text once (memory, then its cache file), and whenever it is off, not
ready, slow or failing it answers None quickly, counts the outcome and logs no text."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.config import REPO_ROOT, load_settings
from bot.core.content.model import Content
from bot.core.matcher import MatchDoc
from bot.ops.metrics import REGISTRY
from bot.semantic.cache import CACHE_NAME, cache_path
from bot.semantic.embeddings import EmbeddingsClient, EmbeddingsError, parse_embeddings
from bot.semantic.layer import BATCH_SIZE, Semantic
from tests.fake_embeddings import FakeEmbeddings

DOCS = [
    MatchDoc("language-course", "de", "Wo finde ich einen Deutschkurs?"),
    MatchDoc("language-course", "en", "Where can I find a German course?"),
    MatchDoc("work-permit", "de", "Darf ich in Deutschland arbeiten?"),
    MatchDoc("work-permit", "en", "Am I allowed to work?"),
    MatchDoc("housing", "de", "Wie finde ich eine Wohnung?"),
]
QUESTION = "Ich suche Sprachunterricht für meine Frau"

MakeSemantic = Callable[..., Semantic]


@pytest.fixture
async def fake() -> AsyncIterator[FakeEmbeddings]:
    async with FakeEmbeddings() as server:
        server.synonyms("deutschkurs", "sprachunterricht")
        yield server


@pytest.fixture
async def make(fake: FakeEmbeddings, tmp_path: Path) -> AsyncIterator[MakeSemantic]:
    made: list[Semantic] = []

    def semantic(timeout: float = 0.3, cache_file: Path | None = tmp_path / CACHE_NAME
                 ) -> Semantic:
        made.append(Semantic(EmbeddingsClient(fake.url, fake.model), timeout=timeout,
                             cache_file=cache_file))
        return made[-1]

    yield semantic
    for semantic_ in made:
        await semantic_.close()


def counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("lotse_semantic_requests_total", {"outcome": outcome}) or 0


async def test_the_entry_sharing_a_meaning_ranks_first(make: MakeSemantic) -> None:
    semantic = make()
    await semantic.prepare("v1", DOCS)
    ok = counted("ok")
    scores = await semantic.scores(QUESTION)
    assert scores is not None and set(scores) == {"language-course", "work-permit", "housing"}
    best = max(scores, key=scores.__getitem__)
    assert best == "language-course"
    assert scores[best] > 0.5 > max(v for k, v in scores.items() if k != best)
    assert all(-1.0 <= v <= 1.0001 for v in scores.values())
    assert counted("ok") == ok + 1


async def test_one_version_is_embedded_once_in_batches(make: MakeSemantic,
                                                       fake: FakeEmbeddings) -> None:
    docs = [MatchDoc(f"entry-{n % 40}", "de", f"Frage Nummer {n}") for n in range(150)]
    semantic = make()
    await semantic.prepare("v1", [*docs, *docs])  # a text twice is embedded once
    assert fake.batches == [BATCH_SIZE, BATCH_SIZE, 150 - 2 * BATCH_SIZE]
    await semantic.prepare("v1", docs)
    assert fake.requests == 3 and semantic.ready_version == "v1"


async def test_a_new_version_embeds_only_its_new_texts(make: MakeSemantic,
                                                       fake: FakeEmbeddings) -> None:
    semantic = make()
    await semantic.prepare("v1", DOCS)
    assert sorted(fake.texts) == sorted(doc.text for doc in DOCS)
    added = MatchDoc("housing", "en", "How do I find a flat?")
    await semantic.prepare("v2", [*DOCS[1:], added])
    assert fake.texts[len(DOCS):] == [added.text]
    assert semantic.ready_version == "v2"
    assert await semantic.scores("flat", version="v1") is None  # the old index is gone


async def test_the_cache_file_survives_a_restart_and_holds_no_text(
        make: MakeSemantic, fake: FakeEmbeddings, tmp_path: Path) -> None:
    first = make()
    await first.prepare("v1", DOCS)
    before = await first.scores(QUESTION)
    cache = (tmp_path / CACHE_NAME).read_bytes()
    requests = fake.requests
    second = make()
    await second.prepare("v1", DOCS)
    assert fake.requests == requests  # nothing embedded again
    assert await second.scores(QUESTION) == before
    assert (tmp_path / CACHE_NAME).read_bytes() == cache  # a question changes nothing in it
    for text in [QUESTION, *(doc.text for doc in DOCS)]:
        for encoding in ("utf-8", "utf-32-le"):  # numpy keeps strings as UTF-32
            assert text.encode(encoding) not in cache


async def test_an_unreadable_cache_file_is_ignored(make: MakeSemantic, fake: FakeEmbeddings,
                                                   tmp_path: Path) -> None:
    (tmp_path / CACHE_NAME).write_bytes(b"not a numpy file")
    semantic = make()
    await semantic.prepare("v1", DOCS)
    assert semantic.ready_version == "v1" and fake.inputs == len(DOCS)


async def test_another_model_behind_the_same_name_is_embedded_again(tmp_path: Path) -> None:
    cache_file = tmp_path / CACHE_NAME
    for dims, version in ((256, "v1"), (128, "v2")):
        async with FakeEmbeddings(dims=dims) as server:
            semantic = Semantic(EmbeddingsClient(server.url, server.model), cache_file=cache_file)
            try:
                await semantic.prepare(version, [*DOCS, MatchDoc("new", "en", version)])
                assert semantic.ready_version == version
                # v2: its new text, then, as it did not fit the cached 256 dims, all of them
                assert server.inputs == len(DOCS) + (1 if version == "v1" else 2)
                assert await semantic.scores(QUESTION) is not None
            finally:
                await semantic.close()


def test_the_cache_file_is_next_to_the_sqlite_database(tmp_path: Path) -> None:
    sqlite = load_settings(_env_file=None, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert cache_path(sqlite) == tmp_path / CACHE_NAME
    postgres = load_settings(_env_file=None, DATABASE_URL="postgresql://u:p@db/lotse")
    assert cache_path(postgres) == REPO_ROOT / "data" / CACHE_NAME


async def test_a_slow_server_gives_none_within_the_timeout(make: MakeSemantic,
                                                           fake: FakeEmbeddings) -> None:
    semantic = make(timeout=0.1)
    await semantic.prepare("v1", DOCS)
    answered, timeouts = fake.completed, counted("timeout")
    fake.delay = 5.0
    started = time.perf_counter()
    assert await semantic.scores(QUESTION) is None
    elapsed = time.perf_counter() - started
    assert 0.09 <= elapsed < 0.6
    assert fake.requests == answered + 1 and fake.completed == answered  # still being delayed
    assert counted("timeout") == timeouts + 1


@pytest.mark.parametrize("fault", ["500", "503", "malformed", "wrong_count"])
async def test_a_failing_server_gives_none_and_is_counted(
        make: MakeSemantic, fake: FakeEmbeddings, fault: str,
        caplog: pytest.LogCaptureFixture) -> None:
    semantic = make()
    await semantic.prepare("v1", DOCS)
    errors = counted("error")
    if fault.isdigit():
        fake.fail_next(1, int(fault))
    else:
        fake.garble_next(1, fault)
    with caplog.at_level(logging.DEBUG, logger="bot"):
        assert await semantic.scores(QUESTION) is None
    assert counted("error") == errors + 1
    assert "semantic scores error" in caplog.text and QUESTION not in caplog.text
    assert await semantic.scores(QUESTION) is not None  # the next question is fine again


async def test_not_ready_until_the_live_version_is_built(make: MakeSemantic,
                                                         fake: FakeEmbeddings) -> None:
    semantic = make()
    not_ready = counted("not_ready")
    assert await semantic.scores(QUESTION) is None
    fake.fail_next(1, 500)
    await semantic.prepare("v1", DOCS)  # logged, not raised
    assert semantic.ready_version is None
    assert await semantic.scores(QUESTION) is None
    assert counted("not_ready") == not_ready + 2
    requests = fake.requests
    assert requests == 1  # not-ready questions are not sent
    await semantic.prepare("v1", DOCS)
    assert await semantic.scores(QUESTION) is not None


async def test_prepare_for_a_superseded_version_is_skipped(make: MakeSemantic,
                                                           fake: FakeEmbeddings) -> None:
    semantic = make()
    fake.delay = 0.2
    first = asyncio.create_task(semantic.prepare("v1", DOCS))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(semantic.prepare("v2", DOCS[:2]))
    third = asyncio.create_task(semantic.prepare("v3", DOCS[:3]))
    await asyncio.gather(first, second, third)
    assert semantic.ready_version == "v3" and fake.requests == 1  # v3's texts were all in v1


async def test_off_without_url_and_no_request(fake: FakeEmbeddings) -> None:
    for semantic in (Semantic(), Semantic.from_settings(None),
                     Semantic.from_settings(load_settings(_env_file=None))):
        assert not semantic.enabled
        await semantic.prepare("v1", DOCS)
        assert await semantic.scores(QUESTION) is None
        await semantic.close()
    assert fake.requests == 0


async def test_from_settings(tmp_path: Path) -> None:
    async with FakeEmbeddings(model="bge-m3", api_key="s3cret") as server:
        settings = load_settings(
            _env_file=None, EMBEDDINGS_URL=server.url + "/", EMBEDDINGS_MODEL="bge-m3",
            EMBEDDINGS_API_KEY="s3cret", EMBEDDINGS_TIMEOUT=0.2,
            DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 'lotse.sqlite3'}")
        semantic = Semantic.from_settings(settings)
        try:
            await semantic.prepare("v1", DOCS)
            assert semantic.ready_version == "v1"
            assert (tmp_path / "db" / CACHE_NAME).exists()
        finally:
            await semantic.close()
        wrong_key = Semantic(EmbeddingsClient(server.url, "bge-m3", api_key="wrong"))
        try:
            await wrong_key.prepare("v1", DOCS)
            assert wrong_key.ready_version is None
        finally:
            await wrong_key.close()


def test_answers_are_read_by_index_and_checked() -> None:
    body = {"object": "list", "model": "m", "data": [
        {"object": "embedding", "index": 1, "embedding": [0.0, 2.0]},
        {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]}]}
    assert parse_embeddings(json.dumps(body).encode(), 2).tolist() == [[1.0, 0.0], [0.0, 2.0]]
    for broken, count in [(b"{", 2), (b'{"data": 3}', 2), (json.dumps(body).encode(), 3),
                          (b'{"data": [{"index": 0, "embedding": ["x"]}]}', 1),
                          (b'{"data": [{"index": 0, "embedding": [NaN]}]}', 1),
                          (b'{"data": [{"index": 1, "embedding": [1.0]}]}', 1),
                          (b'{"data": [{"index": 0, "embedding": []}]}', 1)]:
        with pytest.raises(EmbeddingsError):
            parse_embeddings(broken, count)


def test_settings_require_a_model_and_a_short_timeout() -> None:
    from bot.config import SettingsError

    with pytest.raises(SettingsError, match="setting EMBEDDINGS_MODEL: required"):
        load_settings(_env_file=None, EMBEDDINGS_URL="http://127.0.0.1:11434/v1")
    for timeout in (0, 0.5):
        with pytest.raises(SettingsError, match="setting EMBEDDINGS_TIMEOUT"):
            load_settings(_env_file=None, EMBEDDINGS_TIMEOUT=timeout)
    settings = load_settings(_env_file=None, EMBEDDINGS_URL="", EMBEDDINGS_MODEL="")
    assert settings.EMBEDDINGS_URL is None and settings.embeddings_base is None


def test_the_bench_measures_both(shipped_content: Content) -> None:
    from bench import bench_semantic

    figures = bench_semantic.run(shipped_content, questions=30, dims=64)
    assert figures.questions == 30 and figures.outcomes == {"ok": 30}
    assert 0 < figures.scores_p50_ms <= figures.scores_p95_ms
    assert 0 < figures.matcher_p50_ms <= figures.matcher_p95_ms and figures.cosine_ms > 0
    assert "scores() adds" in bench_semantic.describe(figures)


async def test_the_fake_speaks_the_openai_protocol() -> None:
    import aiohttp

    async with FakeEmbeddings(api_key="k") as server, aiohttp.ClientSession() as session:
        url, auth = server.url + "/embeddings", {"Authorization": "Bearer k"}
        async with session.post(url, json={"model": server.model, "input": "Hallo"},
                                headers=auth) as response:
            answer = await response.json()
        assert response.status == 200 and answer["object"] == "list"
        assert answer["model"] == server.model and answer["usage"]["prompt_tokens"] == 1
        [item] = answer["data"]
        assert item["object"] == "embedding" and item["index"] == 0
        assert len(item["embedding"]) == server.dims
        assert abs(sum(x * x for x in item["embedding"]) - 1) < 1e-9
        for body, headers, status, code in [
                ({"model": server.model, "input": "x"}, {}, 401, "invalid_api_key"),
                ({"model": "other", "input": "x"}, auth, 404, "model_not_found"),
                ({"model": server.model, "input": []}, auth, 400, None),
                ({"model": server.model, "input": "x", "encoding_format": "base64"}, auth, 400,
                 None)]:
            async with session.post(url, json=body, headers=headers) as response:
                error = (await response.json())["error"]
            assert response.status == status and error["code"] == code
            assert error["message"] and error["type"] == "invalid_request_error"
        server.fail_next(1, 503)
        async with session.post(url, json={"model": server.model, "input": ["a", "b"]},
                                headers=auth) as response:
            assert response.status == 503
            assert (await response.json())["error"]["type"] == "server_error"
        assert server.requests == 6 and server.inputs == 3  # rejected requests embed nothing
