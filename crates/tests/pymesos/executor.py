"""A custom executor written with pymesos, unchanged: it runs its task,
sends the scheduler a framework message, and reports TASK_FINISHED."""
import threading

from pymesos import Executor, MesosExecutorDriver, decode_data, encode_data


class TestExecutor(Executor):
    def launchTask(self, driver, task):
        def run():
            driver.sendStatusUpdate(dict(task_id=task["task_id"], state="TASK_RUNNING"))
            data = decode_data(task["data"])
            driver.sendFrameworkMessage(encode_data(b"pong:" + data))
            driver.sendStatusUpdate(dict(task_id=task["task_id"], state="TASK_FINISHED"))

        threading.Thread(target=run).start()


if __name__ == "__main__":
    MesosExecutorDriver(TestExecutor(), use_addict=False).run()
