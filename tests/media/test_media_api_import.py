"""Teachers' bulk import: a zip or uploaded media plus a CSV manifest, run as a job."""

from __future__ import annotations

import io
import os
import stat
import zipfile

from sqlalchemy import select

from storage.db import db
from storage.models.learning import Word
from storage.models.media import Media
from tests.api.apihelpers import assert_problem
from tests.media.conftest import IMPORT_MAX_ENTRY_BYTES

MEDIA = "/api/v1/media"
MANIFEST = (
    "filename,word,reading,translation,language,group,kind\n"
    "audio/konnichiwa.mp3,こんにちは,konnichiwa,hello,ja,Greetings,audio\n"
    "images/neko.png,猫,neko,cat,ja,Animals,image\n"
    "big.wav,大きい,ookii,big,ja,,audio\n"
    "bomb.wav,爆弾,bakudan,bomb,ja,,audio\n"
    "missing.mp3,無い,nai,missing,ja,,audio\n"
)


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def symlink(name: str, target: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target


def run_import(env, account, body: dict) -> dict:
    submitted = env.client.post(f"{MEDIA}/imports", json=body, headers=account.headers)
    assert submitted.status_code == 202, submitted.get_json()
    done = env.client.get(f"{submitted.headers['Location']}?wait=30", headers=account.headers)
    job = done.get_json()
    assert job["status"] in ("succeeded", "failed"), job
    return job


def by_name(job: dict) -> dict[str, dict]:
    return {item["name"]: item for item in job["result"]["items"]}


def words_of(organisation_id: str) -> dict[str, Word]:
    db.session.expire_all()
    rows = db.session.scalars(select(Word).where(Word.organisation_id == organisation_id))
    return {word.term: word for word in rows}


def test_zip_import_stores_good_entries_and_reports_bad_ones(media_env, media_samples):
    # Given a teacher, a worker, and a zip with two good files, a zip-slip name, a symlink,
    # an oversized entry, a zip bomb, and a manifest naming a file that is not there
    admin = media_env.accounts.admin()
    teacher = media_env.accounts.member(admin, "teacher")
    media_env.start_worker()
    archive = make_zip(
        [
            ("manifest.csv", MANIFEST.encode()),
            ("audio/konnichiwa.mp3", media_samples["mp3"]),
            ("images/neko.png", media_samples["png"]),
            ("../../escape.wav", media_samples["wav"]),
            symlink("link.wav", b"/etc/passwd"),
            ("big.wav", os.urandom(IMPORT_MAX_ENTRY_BYTES + 1000)),
            ("bomb.wav", bytes(IMPORT_MAX_ENTRY_BYTES - 1000)),
        ]
    )
    uploaded = media_env.upload(teacher, archive, "lesson.zip")
    assert uploaded.status_code == 201, uploaded.get_json()
    assert uploaded.get_json()["kind"] == "archive"

    # When the teacher imports it
    job = run_import(media_env, teacher, {"archive_media_id": uploaded.get_json()["id"]})

    # Then the job succeeded with one report item per file and per manifest problem
    assert job["status"] == "succeeded", job
    assert job["progress"] == 100
    items = by_name(job)
    assert {
        name: item.get("error", {}).get("code", item["status"]) for name, item in items.items()
    } == {
        "audio/konnichiwa.mp3": "stored",
        "images/neko.png": "stored",
        "../../escape.wav": "unsafe_path",
        "link.wav": "symlink",
        "big.wav": "entry_too_large",
        "bomb.wav": "compression_ratio",
        "missing.mp3": "file_missing",
    }
    assert job["result"]["counts"] == {
        "items": 7,
        "stored": 2,
        "linked": 0,
        "errors": 5,
        "words_created": 2,
        "words_updated": 0,
    }

    # And the good files are ready media, byte exact, attached to their new words and groups
    audio = db.session.get(Media, items["audio/konnichiwa.mp3"]["media_id"])
    assert (audio.kind, audio.content_type, audio.status) == ("audio", "audio/mpeg", "ready")
    assert audio.duration and audio.duration > 0.9
    with media_env.store.get(audio.object_key) as stream:
        assert b"".join(stream) == media_samples["mp3"]
    words = words_of(teacher.organisation_id)
    assert set(words) == {"こんにちは", "猫"}
    assert words["こんにちは"].media_ids == [audio.id]
    assert words["こんにちは"].reading == "konnichiwa"
    assert words["猫"].translations == ["cat"]
    assert [group.name for group in words["猫"].groups] == ["Animals"]

    # And nothing was written outside the organisation's prefix
    keys = media_env.keys()
    assert len(keys) == 3  # the archive and the two stored files
    assert all(key.startswith(f"orgs/{teacher.organisation_id}/media/") for key in keys)


def test_a_second_import_updates_existing_words(media_env, media_samples):
    # Given a word imported once
    admin = media_env.accounts.admin()
    media_env.start_worker()
    manifest = "filename,word,translation,language,group\nhello.wav,hello,bonjour,fr,Basics\n"
    first = make_zip([("manifest.csv", manifest.encode()), ("hello.wav", media_samples["wav"])])
    run_import(
        media_env,
        admin,
        {"archive_media_id": media_env.upload(admin, first, "one.zip").get_json()["id"]},
    )

    # When a second archive brings another recording and translation of the same word
    manifest = "filename,word,translation,language\nhello2.mp3,hello,salut,fr\n"
    second = make_zip([("manifest.csv", manifest.encode()), ("hello2.mp3", media_samples["mp3"])])
    job = run_import(
        media_env,
        admin,
        {"archive_media_id": media_env.upload(admin, second, "two.zip").get_json()["id"]},
    )

    # Then the word is updated, not duplicated
    assert job["result"]["counts"]["words_updated"] == 1
    word = words_of(admin.organisation_id)["hello"]
    assert word.translations == ["bonjour", "salut"]
    assert len(word.media_ids) == 2
    assert [group.name for group in word.groups] == ["Basics"]


def test_a_manifest_in_a_wrong_encoding_fails_the_job_and_stores_nothing(media_env, media_samples):
    # Given a zip whose manifest was saved in Windows-1252
    admin = media_env.accounts.admin()
    media_env.start_worker()
    manifest = "filename,word,language\ncafé.wav,café,fr\n".encode("cp1252")
    archive = make_zip([("manifest.csv", manifest), ("café.wav", media_samples["wav"])])
    archive_id = media_env.upload(admin, archive, "fr.zip").get_json()["id"]

    # When it is imported
    job = run_import(media_env, admin, {"archive_media_id": archive_id})

    # Then the job fails with manifest_encoding, and only the archive is stored
    assert job["status"] == "failed"
    assert job["error"]["code"] == "manifest_encoding"
    assert "UTF-8" in job["error"]["message"]
    assert len(media_env.keys()) == 1
    assert db.session.scalars(select(Media.id)).all() == [archive_id]


def test_a_broken_archive_fails_the_job_with_a_code(media_env):
    # Given a zip cut in half (still sniffed as a zip from its first bytes)
    admin = media_env.accounts.admin()
    media_env.start_worker()
    whole = make_zip([("a.wav", os.urandom(50_000)), ("manifest.csv", b"filename,word\n")])
    archive_id = media_env.upload(admin, whole[: len(whole) // 2], "broken.zip").get_json()["id"]

    # When it is imported, Then the job fails with archive_invalid
    job = run_import(media_env, admin, {"archive_media_id": archive_id})
    assert (job["status"], job["error"]["code"]) == ("failed", "archive_invalid")


def test_uploaded_media_with_a_separate_manifest_are_linked(media_env, media_samples):
    # Given two uploaded recordings and a manifest naming them and one more file
    admin = media_env.accounts.admin()
    media_env.start_worker()
    one = media_env.upload(admin, media_samples["wav"], "one.wav").get_json()
    two = media_env.upload(admin, media_samples["opus"], "two.opus").get_json()
    manifest = (
        "filename,word,translation\none.wav,uno,one\ntwo.opus,dos,two\nthree.wav,tres,three\n"
    ).encode("utf-8-sig")
    manifest_media = media_env.upload(admin, manifest, "words.csv")
    assert manifest_media.get_json()["content_type"] == "text/csv"

    # When they are imported with a default language
    job = run_import(
        media_env,
        admin,
        {
            "media_ids": [one["id"], two["id"]],
            "manifest_media_id": manifest_media.get_json()["id"],
            "language": "es",
        },
    )

    # Then both are linked to new Spanish words, and the missing file is reported
    items = by_name(job)
    assert items["one.wav"]["status"] == items["two.opus"]["status"] == "linked"
    assert items["three.wav"]["error"]["code"] == "file_missing"
    words = words_of(admin.organisation_id)
    assert words["uno"].media_ids == [one["id"]]
    assert (words["dos"].language, words["dos"].translations) == ("es", ["two"])


def test_import_rules(media_env, media_samples):
    # Given an organisation with an archive, a learner, and another organisation
    admin = media_env.accounts.admin()
    learner = media_env.accounts.member(admin, "learner")
    stranger = media_env.accounts.admin()
    archive = make_zip([("manifest.csv", b"filename,word\n")])
    archive_id = media_env.upload(admin, archive, "a.zip").get_json()["id"]
    audio_id = media_env.upload(admin, media_samples["wav"], "a.wav").get_json()["id"]

    def submit(account, body):
        return media_env.client.post(f"{MEDIA}/imports", json=body, headers=account.headers)

    # When imports are asked for wrongly, Then each is refused with its code
    assert_problem(submit(learner, {"archive_media_id": archive_id}), 403, "insufficient_role")
    assert_problem(submit(stranger, {"archive_media_id": archive_id}), 404, "media_not_found")
    assert_problem(submit(admin, {}), 422, "import_source")
    assert_problem(submit(admin, {"media_ids": [audio_id]}), 422, "manifest_missing")
    assert_problem(submit(admin, {"archive_media_id": audio_id}), 422, "media_wrong_kind")
    assert_problem(
        submit(admin, {"archive_media_id": archive_id, "language": "not a tag"}),
        422,
        "validation_error",
    )


def test_deleting_imported_media_detaches_it_from_its_word(media_env, media_samples):
    # Given a word with an imported recording
    admin = media_env.accounts.admin()
    media_env.start_worker()
    archive = make_zip(
        [
            ("manifest.csv", b"filename,word,language\nhi.wav,hi,en\n"),
            ("hi.wav", media_samples["wav"]),
        ]
    )
    job = run_import(
        media_env,
        admin,
        {"archive_media_id": media_env.upload(admin, archive, "hi.zip").get_json()["id"]},
    )
    media_id = by_name(job)["hi.wav"]["media_id"]
    assert words_of(admin.organisation_id)["hi"].media_ids == [media_id]

    # When the recording is deleted
    answer = media_env.client.delete(f"{MEDIA}/{media_id}", headers=admin.headers)

    # Then the word no longer lists it
    assert answer.status_code == 204
    assert words_of(admin.organisation_id)["hi"].media_ids == []
