from worker.tasks import ping


def test_a_real_worker_runs_a_task_through_redis(live_worker, transactional_db):
    result = ping.delay()
    assert result.get(timeout=20) == "pong"
    assert result.state == "SUCCESS"
