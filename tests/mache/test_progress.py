"""One reading of background work's progress (mache.progress): a run of many tasks is
finished when every task has ended, whatever its finished_at says."""

from mache.progress import run_progress


def test_a_run_is_finished_when_every_task_has_ended():
    assert run_progress(done=0, failed=0, total=3).state == "PENDING"
    going = run_progress(done=1, failed=1, total=3, result="hidden")
    assert (going.state, going.finished, going.percent, going.result) == (
        "PROGRESS",
        False,
        66,
        None,
    )
    ended = run_progress(done=2, failed=1, total=3, result={"failed": 1})
    assert (ended.state, ended.finished, ended.percent, ended.result) == (
        "FAILURE",
        True,
        100,
        {"failed": 1},
    )
    assert run_progress(done=0, failed=0, total=0).finished  # nothing to do: done


def test_the_reports_page_and_the_api_agree_on_a_finished_run(db, client):
    from tests.factories import UserFactory
    from worker.models import TaskRun
    from worker.views import _run_progress

    run = TaskRun.objects.create(id="run-1", kind="reports", total=2, done=1, failed=1)
    # finished_at is not set (say, a run recorded before it was kept): the counts decide.
    assert _run_progress(run)["finished"] and _run_progress(run)["percent"] == 100
    client.force_login(UserFactory(role="coordinator"))
    assert client.get("/api/tasks/run-1/").json()["state"] == "FAILURE"
