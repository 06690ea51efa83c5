"""The composition root: every long-lived object of the booth is built here, from one settings tree.

Modules never construct their collaborators themselves; they receive them from these builders, so
tests and the demo swap a piece (camera, pins, server) by passing another one in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2

from appliance.binding.binder import CodeBinder
from appliance.binding.code_reader import QrCodeReader
from appliance.binding.collection_run import CollectionRun
from appliance.binding.decoders import load_decoders
from appliance.binding.run_state import RunState
from appliance.booth import Booth, Service
from appliance.capture.button import ButtonEvent, GpioButton, SimulatedButton, build_button
from appliance.capture.camera.base import CameraHealth, CameraStatus
from appliance.capture.camera.factory import build_camera
from appliance.capture.camera.lit_face import LitFaceSource, ring_reader
from appliance.capture.camera.streaming import StreamingCamera
from appliance.capture.leds import LedRing, VirtualRing, build_ring
from appliance.capture.ring_animator import RingAnimator, build_ring_animator
from appliance.demo.code_card import DemoCodeCard
from appliance.demo.codes import DEMO_SESSION_CODE, DemoCodeFormat
from appliance.demo.subject import ScriptedStudent, SubjectSource
from appliance.inference.engine import Analyzer
from appliance.inference.guidance import EngineGuide
from appliance.inference.mask_canvas import MaskCanvas
from appliance.inference.runtime import ModelStore
from appliance.inference.still_choice import EngineStillChooser
from appliance.paths import resolve_path
from appliance.produce.producer import StandardProducer
from appliance.session.chart import SessionState
from appliance.session.driver import Camera, SessionDriver, SharedCamera
from appliance.session.events import EventBus
from appliance.session.light_check import RingLightChallenge
from appliance.session.listeners import EventLogger
from appliance.session.liveness import LivenessTracker
from appliance.session.machine import SessionMachine
from appliance.session.ports import MonotonicClock, StillPicker
from appliance.settings import Settings
from appliance.store.cipher import cipher_from_key_file
from appliance.store.photo_sink import StorePhotoSink, StorePriorCaptures
from appliance.store.photo_store import PhotoStore
from appliance.system.notify import SystemdNotifier, watchdog_interval
from appliance.system.store_recovery import recover_store
from appliance.system.watchdog import WatchdogFeeder
from appliance.uplink.worker import UplinkWorker, uplink_from_settings

if TYPE_CHECKING:
    from appliance.web.server import WebServer


@dataclass
class BoothParts:
    """Every long-lived part of a running booth, by name and type: what the CLI, the web screens and
    the tests reach into. Built once by `build_booth`; `web` is set only when the screen is served."""

    settings: Settings
    analyzer: Analyzer
    store: PhotoStore
    run_state: RunState
    run: CollectionRun
    reader: QrCodeReader
    camera: StreamingCamera
    frames: Camera  # what the session sees: the shared camera, or the demo's code card over it
    bus: EventBus
    guide: EngineGuide
    producer: StandardProducer
    machine: SessionMachine
    driver: SessionDriver
    button: GpioButton | SimulatedButton
    ring: LedRing
    animator: RingAnimator
    uplink: UplinkWorker | None
    subject: ScriptedStudent | None  # the demo's scripted student, else None
    web: WebServer | None = None


# What the LED ring shows in each session state (the patterns are capture/light_patterns.py's).
RING_PATTERNS: dict[str, str] = {
    SessionState.IDLE: "idle", SessionState.SCANNING: "scanning", SessionState.CONFIRMING: "guiding",
    SessionState.GUIDING: "guiding", SessionState.COUNTDOWN: "countdown", SessionState.CAPTURING: "flash",
    SessionState.CHOOSING: "guiding", SessionState.PRODUCING: "guiding", SessionState.REVIEWING: "guiding",
    SessionState.COMMITTING: "guiding", SessionState.DONE: "accepted", SessionState.FAILSAFE: "rejected",
}


def build_models(settings: Settings) -> ModelStore:
    runtime = settings.runtime
    if runtime.image_threads is not None:
        cv2.setNumThreads(runtime.image_threads)
    return ModelStore(resolve_path(runtime.models_dir), threads=runtime.threads, backend=runtime.backend)


def build_analyzer(settings: Settings, models: ModelStore | None = None) -> Analyzer:
    return Analyzer(models or build_models(settings), settings.checks, mask_canvas=MaskCanvas())


# --- The booth (`appliance run`): builders for every part, then the assembled Booth. ---------------


def build_store(settings: Settings) -> PhotoStore:
    store_settings = settings.store.model_copy(update={"dir": resolve_path(settings.store.dir)})
    recover_store(store_settings.dir)  # before the store's orphan sweep could drop accepted photos
    return PhotoStore.from_settings(store_settings)


def build_binder(settings: Settings, store: PhotoStore | None = None) -> CodeBinder:
    """Without a store (a code check on the command line) every code counts as a first capture."""
    lookup = StorePriorCaptures(store) if store is not None else (lambda _key: None)
    return CodeBinder(settings.codes, load_decoders(settings.codes), captured_lookup=lookup)


def build_guide(settings: Settings, analyzer: Analyzer, advisory: tuple[str, ...] = ()) -> EngineGuide:
    return EngineGuide(analyzer, advisory)


def build_producer(settings: Settings, analyzer: Analyzer, advisory: tuple[str, ...] = ()) -> StandardProducer:
    return StandardProducer(analyzer, settings, advisory)


def build_session(
    settings: Settings,
    *,
    code_reader: QrCodeReader,
    guide: EngineGuide,
    still_source: Camera,
    producer: StandardProducer,
    sink: StorePhotoSink,
    picker: StillPicker,
    bus: EventBus | None = None,
    light: RingLightChallenge | None = None,
) -> SessionMachine:
    return SessionMachine(
        settings.session,
        code_reader=code_reader,
        guide=guide,
        still_source=still_source,
        picker=picker,
        producer=producer,
        sink=sink,
        clock=MonotonicClock(),
        bus=bus or EventBus(),
        liveness=LivenessTracker(settings.session.liveness),
        light=light,
    )


def build_light_challenge(settings: Settings, camera: StreamingCamera, animator: RingAnimator,
                          ring: LedRing) -> RingLightChallenge:
    """The ring's light challenge on this booth's camera and ring. The demo camera answers it
    through its light layer; a virtual ring with any other camera lights nothing, and every
    outcome then says the challenge was not run (never that it passed)."""
    source = camera.source
    face_hint = None
    unavailable = ""
    if isinstance(source, LitFaceSource) and isinstance(ring, VirtualRing):
        source.attach(ring_reader(ring))
        face_hint = source.face_at
    elif isinstance(ring, VirtualRing) or isinstance(source, LitFaceSource):
        unavailable = "virtual ring or demo camera: nothing answers the light, light challenge not run"
    return RingLightChallenge(settings.session.liveness.light, camera, animator, two_sided=ring.two_sided,
                              coloured=ring.colour, face_hint=face_hint, unavailable=unavailable)


def build_booth(
    settings: Settings,
    *,
    demo: bool = False,
    serve: bool = True,
    pin_factory: Any = None,
    operator_password: str | None = None,
    settings_file: Path | None = None,
    demo_code_format: DemoCodeFormat = "reference",
) -> Booth[BoothParts]:
    """Every part of the running booth from one validated settings tree, in start order.

    `pin_factory` is passed to the button and the ring (gpiozero's MockFactory in tests); without
    it the real GPIO is required unless the settings choose the simulated button and virtual ring.
    """
    advisory: tuple[str, ...] = ()  # the demo's subject passes every check: nothing is advisory
    data_dir = resolve_path(settings.device.data_dir)
    models = build_models(settings)
    analyzer = build_analyzer(settings, models)
    store = build_store(settings)
    run_state = RunState(data_dir, cipher_from_key_file(settings.store.encryption_key_file))
    run = restored_run(run_state, DEMO_SESSION_CODE if demo else "")
    reader = QrCodeReader(build_binder(settings, store), run, settings.codes.scanner)
    subject = ScriptedStudent() if demo else None
    source = None if subject is None else demo_subject_source(settings, subject, analyzer)
    camera = build_camera(settings, source=source)
    shared = SharedCamera(camera)
    bus = EventBus()
    if subject is not None:
        bus.subscribe(subject.on_event)
    frames: Camera = shared
    if demo:
        card = DemoCodeCard(shared, settings.capture.camera.lores_size, code_format=demo_code_format)
        bus.subscribe(card.on_event)
        frames = card
    guide = build_guide(settings, analyzer, advisory)
    producer = build_producer(settings, analyzer, advisory)
    ring = build_ring(settings, pin_factory)
    animator = build_ring_animator(settings, ring, settings.session.countdown_s, RING_PATTERNS)
    machine = build_session(
        settings, code_reader=reader, guide=guide, still_source=frames, producer=producer,
        picker=EngineStillChooser(analyzer), sink=StorePhotoSink(store), bus=bus,
        light=build_light_challenge(settings, camera, animator, ring),
    )
    bus.subscribe(EventLogger())
    notifier = SystemdNotifier.from_environment()
    watchdog = WatchdogFeeder(notifier, watchdog_interval(), settings.system.heartbeat_timeout_s)
    driver = SessionDriver(machine, frames, MonotonicClock(), settings.session,
                           heartbeat=watchdog.heartbeat("session").beat)
    camera.add_status_listener(lambda status: forward_camera_health(status, driver))
    button = build_button(settings, pin_factory)
    guide.lighting_listeners.append(animator.lighting_measured)
    bus.subscribe(lambda event: animator.state_changed(event.target) if event.kind == "transition" else None)
    button.add_listener(lambda event: machine.button_pressed() if event is ButtonEvent.PRESS
                        else machine.button_long_pressed())
    uplink = uplink_from_settings(
        store, settings.device.device_id, settings.uplink, data_dir=Path(settings.store.dir)
    )
    parts = BoothParts(
        settings=settings, analyzer=analyzer, store=store, run_state=run_state, run=run, reader=reader,
        camera=camera, frames=frames, bus=bus, guide=guide, producer=producer, machine=machine, driver=driver,
        button=button, ring=ring, animator=animator, uplink=uplink, subject=subject,
    )
    def stop_ring() -> None:
        animator.stop()
        ring.close()

    services = [
        Service("analysis engine", analyzer.warm_up, lambda: None),
        Service("store", lambda: None, store.close),
        Service("camera", camera.start, camera.stop),
        Service("LED ring", animator.start, stop_ring),
        Service("button", lambda: None, button.close),
    ]
    if uplink is not None:
        services.append(Service("uplink", uplink.start, uplink.stop))
    services.append(Service("session", driver.start, driver.stop))
    services.append(Service("watchdog", watchdog.start, watchdog.stop))
    booth = Booth(services, parts, notifier=notifier, watchdog=watchdog)
    if serve:
        web = build_web(settings, parts, demo=demo, data_dir=data_dir,
                        operator_password=operator_password, settings_file=settings_file)
        parts.web = web
        services.append(Service("web screen", web.start, web.stop))
        booth.ready_url = (settings.web.host, web.port_hint)
    return booth


def restored_run(run_state: RunState, default_session: str) -> CollectionRun:
    """The operator's session set-up and roster as before the restart (or a fresh run)."""
    restored = run_state.load()
    if restored is None:
        return CollectionRun(session_code=default_session)
    code, roster, source = restored
    return CollectionRun(session_code=code or default_session, roster=roster, roster_source=source)


def demo_subject_source(settings: Settings, subject: ScriptedStudent, analyzer: Analyzer) -> LitFaceSource:
    """The development camera of `run --demo`: the scripted subject at the configured stream sizes."""
    config = settings.capture.camera
    # Wrapped in the light layer, so the scripted subject answers the ring's light challenge as a face.
    return LitFaceSource(SubjectSource(subject, analyzer.analyze, config.lores_size, config.main_size, config.fps))


def forward_camera_health(status: CameraStatus, driver: SessionDriver) -> None:
    """A lost camera ends the attempt and the screen says so; the camera reopens itself."""
    if status.health is CameraHealth.REOPENING:
        driver.camera_health_changed(status.last_error or "camera reopening")
    elif status.health is CameraHealth.OK:
        driver.camera_health_changed(None)


def reconfigure_parts(parts: BoothParts) -> Callable[[Settings], None]:
    """What the operator console's validated settings change in the running booth: the checks, the
    producer's settings and the accepted codes (a new binder); the rest takes effect at a restart."""

    def apply(updated: Settings) -> None:
        parts.analyzer.settings = updated.checks
        parts.producer.settings = updated
        parts.reader.replace_binder(build_binder(updated, parts.store))

    return apply


def run_saver(parts: BoothParts) -> Callable[[], None]:
    """Keeps the operator's session set-up and roster across a restart."""
    run, state = parts.run, parts.run_state
    return lambda: state.save(run.session_code, run.roster, run.roster_source)


def build_web(settings: Settings, parts: BoothParts, *, demo: bool, data_dir: Path,
              operator_password: str | None = None, settings_file: Path | None = None) -> WebServer:
    from appliance.web.server import build_web_server  # Flask loads only when the screen is served

    button, ring = parts.button, parts.ring
    return build_web_server(
        settings, machine=parts.machine, latest_frame=parts.frames.latest_lores, store=parts.store,
        run=parts.run, subscribe=parts.bus.subscribe, reconfigure=reconfigure_parts(parts),
        demo=demo, data_dir=data_dir, analyzer=parts.analyzer,
        button=button if isinstance(button, SimulatedButton) else None,
        ring=ring if isinstance(ring, VirtualRing) else None,
        uplink=parts.uplink, advisory=tuple(sorted(parts.guide.advisory)),
        login_allowed=parts.reader.login_allowed, save_run=run_saver(parts),
        operator_password=operator_password, settings_file=settings_file,
    )
