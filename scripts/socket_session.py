"""One person's page as the server sees it, without a browser: a websocket that sends what Streamlit's
page sends (reruns with widget states, file uploads) and reads what it is sent, drawing nothing.

scripts/load.py uses it for the room's sessions (`--clients socket`): on one two-core machine, twenty
Chromium pages drawing every rerun take the CPU that the server is being measured on, while in a
workshop each page runs on its own laptop. The widgets are found by their keys, as in the browser tests.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

ID_PREFIX = "$$ID-"                          # Streamlit's widget ids: $$ID-<hash>-<key> for a widget with a key
RUN_STATES = ((b"Run finished", "done"), (b" images/s on ", "training"), (b"Waiting: ", "queued"),
              (b"Starting\xe2\x80\xa6", "queued"))       # as load.py reads a browser page's progress panel


def ids_in(message) -> list[str]:
    """Every widget id in a protobuf message, found through its fields at any depth."""
    found = []
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        for item in values:
            if field.type == field.TYPE_MESSAGE:
                found += ids_in(item)
            elif field.name == "id" and isinstance(item, str) and item.startswith(ID_PREFIX):
                found.append(item)
    return found


class SocketSession:
    """A page's session: `rerun` with changed widgets, `press` a button, `upload` a file; `state` is what
    the Train tab's progress panel last said ("idle", "queued", "training" or "done"), `errors` any
    exception the page was sent."""

    def __init__(self, url: str):
        self.url, self.http = url, requests.Session()
        self.http.get(f"{url}/_stcore/health", timeout=60)             # sets the XSRF cookie
        self.xsrf = self.http.cookies.get("_streamlit_xsrf", "")
        self.socket = connect(f"ws://{url.split('//', 1)[1]}/_stcore/stream", open_timeout=60,
                              subprotocols=["streamlit", self.xsrf], origin=url, max_size=None,
                              ping_interval=None,            # a busy server answers pings late
                              additional_headers={"Cookie": f"_streamlit_xsrf={self.xsrf}"})
        self.ids: dict[str, str] = {}            # widget key -> Streamlit's widget id
        self.values: dict[str, tuple[str, object]] = {}    # widget key -> (value field, value), kept per rerun
        self.session_id, self.state, self.errors = "", "idle", []
        self.finished, self.urls = threading.Event(), {}
        self.timers: dict[str, tuple[float, float]] = {}    # fragment id -> (interval, when next), as run_every
        self.lock = threading.Lock()
        threading.Thread(target=self.read, daemon=True).start()
        threading.Thread(target=self.tick, daemon=True).start()
        self.rerun()

    def read(self) -> None:
        try:
            for data in self.socket:
                self.take(data)
        except ConnectionClosed:                  # the session is over
            pass

    def take(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.session_id = msg.new_session.initialize.session_id or self.session_id
            if not msg.metadata.run.fragment_ids:      # a whole run: the page forgets its fragments' timers
                self.timers.clear()
        elif kind == "stop_auto_rerun":
            for fragment in msg.stop_auto_rerun.fragment_ids:
                self.timers.pop(fragment, None)
        elif kind == "auto_rerun":
            timer = msg.auto_rerun
            self.timers[timer.fragment_id] = (timer.interval, time.monotonic() + timer.interval)
        elif kind == "script_finished":
            self.finished.set()
        elif kind == "file_urls_response":
            self.urls[msg.file_urls_response.response_id] = msg.file_urls_response.file_urls
        elif kind == "delta":
            for widget_id in ids_in(msg.delta):
                self.ids[widget_id.split("-", 2)[-1]] = widget_id
            if msg.delta.new_element.WhichOneof("type") == "exception":
                self.errors.append(msg.delta.new_element.exception.message)
            for marker, state in RUN_STATES:
                if marker in data and not (self.state == "done" and state != "done"):
                    self.state = state
                    break

    def tick(self) -> None:
        """Rerun each fragment that asked for it (st.fragment's run_every) when it is due, as the page does."""
        while True:
            time.sleep(0.05)
            for fragment, (interval, due) in list(self.timers.items()):
                if time.monotonic() >= due and self.timers.get(fragment, (0, 0))[1] == due:
                    self.timers[fragment] = (interval, due + interval)
                    try:
                        self.send_rerun(fragment)
                    except ConnectionClosed:
                        return

    def rerun(self, timeout: float = 120, **changed: tuple[str, object]) -> bool:
        """Rerun the script with the kept widget values and `changed` ones (key=(field, value)); wait for it.
        Returns whether it finished within `timeout` seconds."""
        self.finished.clear()
        self.send_rerun("", **changed)
        return self.finished.wait(timeout)

    def send_rerun(self, fragment: str, **changed: tuple[str, object]) -> None:
        with self.lock:
            msg = self.rerun_message(fragment, **changed)
            self.socket.send(msg.SerializeToString())

    def rerun_message(self, fragment: str, **changed: tuple[str, object]) -> BackMsg:
        self.values.update(changed)
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        if fragment:
            msg.rerun_script.fragment_id, msg.rerun_script.is_auto_rerun = fragment, True
        for key, (field, value) in self.values.items():
            if key in self.ids:
                widget = msg.rerun_script.widget_states.widgets.add(id=self.ids[key])
                if field == "file_uploader_state_value":
                    widget.file_uploader_state_value.CopyFrom(value)
                else:
                    setattr(widget, field, value)
        self.values = {k: v for k, v in self.values.items() if v[0] != "trigger_value"}   # a click is once
        return msg

    def open_tab(self, label: str) -> None:
        self.rerun(tab=("string_value", label))

    def press(self, key: str) -> None:
        self.rerun(**{key: ("trigger_value", True)})

    def upload(self, key: str, photo: Path) -> bool:
        """Upload as the page does: ask for a URL, PUT the file there, rerun with its id in the uploader.
        Returns whether the rerun finished."""
        request = BackMsg()
        request.file_urls_request.request_id = f"{photo.name}-{time.perf_counter()}"
        request.file_urls_request.file_names.append(photo.name)
        request.file_urls_request.session_id = self.session_id
        self.socket.send(request.SerializeToString())
        while request.file_urls_request.request_id not in self.urls:
            time.sleep(0.02)
        urls = self.urls.pop(request.file_urls_request.request_id)[0]
        self.http.put(self.url + urls.upload_url if urls.upload_url.startswith("/") else urls.upload_url,
                      files={"file": (photo.name, photo.read_bytes(), "image/jpeg")},
                      headers={"X-Xsrftoken": self.xsrf}, timeout=120).raise_for_status()
        state = BackMsg().rerun_script.widget_states.widgets.add().file_uploader_state_value
        info = state.uploaded_file_info.add(name=photo.name, size=photo.stat().st_size, file_id=urls.file_id)
        info.file_urls.CopyFrom(urls)
        return self.rerun(**{key: ("file_uploader_state_value", state)})

    def close(self) -> None:
        self.socket.close()
        self.http.close()                     # its kept-alive connection would hold a server file open
