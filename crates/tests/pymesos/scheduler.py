"""A scheduler written with pymesos, unchanged, against this project's master.

It launches two command tasks and one task on a pymesos custom executor,
acknowledges every update (pymesos does it implicitly), reconciles, kills one
task and waits for TASK_KILLED, and receives a framework message from the
custom executor. It prints one JSON line per event and exits 0 once every
expectation was met.
"""
import json
import logging
import sys
import threading

from pymesos import MesosSchedulerDriver, Scheduler, decode_data, encode_data

MASTER, EXECUTOR_COMMAND = sys.argv[1], sys.argv[2]


def log(**fields):
    print(json.dumps(fields), flush=True)


def scalar(name, value):
    return dict(name=name, type="SCALAR", scalar=dict(value=value))


def command_task(task_id, agent_id, command):
    return dict(
        task_id=dict(value=task_id),
        agent_id=agent_id,
        name=task_id,
        resources=[scalar("cpus", 0.2), scalar("mem", 32)],
        command=dict(value=command),
    )


class TestScheduler(Scheduler):
    def __init__(self):
        self.launched = False
        self.states = {}
        self.reconciled = set()
        self.messages = []
        self.kill_sent = False
        self.done = threading.Event()
        self.lock = threading.Lock()

    def registered(self, driver, framework_id, master_info):
        log(event="registered", framework_id=framework_id["value"])

    def resourceOffers(self, driver, offers):
        for offer in offers:
            if self.launched:
                driver.declineOffer(offer["id"])
                continue
            self.launched = True
            agent_id = offer["agent_id"]
            custom = dict(
                task_id=dict(value="custom"),
                agent_id=agent_id,
                name="custom",
                resources=[scalar("cpus", 0.2), scalar("mem", 32)],
                executor=dict(
                    executor_id=dict(value="pyexecutor"),
                    name="pymesos executor",
                    command=dict(value=EXECUTOR_COMMAND),
                    resources=[scalar("cpus", 0.1), scalar("mem", 32)],
                ),
                data=encode_data(b"ping"),
            )
            tasks = [
                command_task("ok", agent_id, "echo pymesos-ok"),
                command_task("sleeper", agent_id, "sleep 600"),
                custom,
            ]
            driver.launchTasks(offer["id"], tasks)
            log(event="launched", tasks=[t["task_id"]["value"] for t in tasks])

    def statusUpdate(self, driver, update):
        task = update["task_id"]["value"]
        state = update["state"]
        reason = update.get("reason")
        log(event="update", task=task, state=state, reason=reason)
        with self.lock:
            self.states.setdefault(task, []).append(state)
            if reason == "REASON_RECONCILIATION":
                self.reconciled.add(task)
            kill = task == "sleeper" and state == "TASK_RUNNING" and not self.kill_sent
            if kill:
                self.kill_sent = True
        if kill:
            driver.reconcileTasks([])
            driver.killTask(dict(value="sleeper"))
        self.check()

    def frameworkMessage(self, driver, executor_id, agent_id, data):
        message = decode_data(data).decode()
        log(event="message", executor=executor_id["value"], data=message)
        with self.lock:
            self.messages.append(message)
        self.check()

    def error(self, driver, message):
        log(event="error", message=message)

    def check(self):
        with self.lock:
            ok = (
                "TASK_FINISHED" in self.states.get("ok", [])
                and "TASK_KILLED" in self.states.get("sleeper", [])
                and "TASK_FINISHED" in self.states.get("custom", [])
                and "pong:ping" in self.messages
                and "sleeper" in self.reconciled
            )
        if ok:
            self.done.set()


def main():
    logging.basicConfig(level=logging.WARNING)
    scheduler = TestScheduler()
    framework = dict(user="root", name="pymesos compatibility test", hostname="localhost")
    driver = MesosSchedulerDriver(scheduler, framework, MASTER, use_addict=False)
    driver.start()
    finished = scheduler.done.wait(120)
    log(event="done", ok=finished)
    driver.stop()
    driver.join()
    sys.exit(0 if finished else 1)


if __name__ == "__main__":
    main()
