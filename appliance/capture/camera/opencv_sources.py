"""Development cameras read through OpenCV: a webcam, a video file, or a folder of images.

They stand in for the Pi camera on a PC and in tests. Files and folders loop forever so a session
never runs out of frames; a video or folder that cannot be read at all is an error at open time,
not an empty stream. These sources have one native resolution, so the same image serves as both
the still and (scaled by the camera) the guidance frame. What a webcam driver reports of its
exposure is in the driver's own units (V4L2: exposure in 100 us steps on most), so it is passed on
as such; a file says nothing about how it was exposed.
"""

from __future__ import annotations

from pathlib import Path

import cv2

from appliance.capture.camera.base import Exposure, Frame
from appliance.capture.errors import HardwareUnavailableError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


class WebcamSource:
    def __init__(self, index: int, size: tuple[int, int], fps: float) -> None:
        self.name = f"webcam:{index}"
        self._index = index
        self._size = size
        self._fps = fps
        self._capture: cv2.VideoCapture | None = None

    def open(self) -> None:
        capture = cv2.VideoCapture(self._index)
        if not capture.isOpened():
            capture.release()
            raise HardwareUnavailableError(f"camera: webcam {self._index} cannot be opened")
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
        capture.set(cv2.CAP_PROP_FPS, self._fps)
        # One buffer: an older buffered frame would be a frame in the queue.
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._capture = capture

    def read(self, want_full: bool) -> Frame:
        if self._capture is None:
            raise RuntimeError("webcam is not open")
        ok, frame = self._capture.read()
        if not ok or frame is None:
            raise RuntimeError(f"webcam {self._index} returned no frame")
        return Frame(frame, frame.copy() if want_full else None, exposure=self._exposure(), source=self.name)

    def _exposure(self) -> Exposure:
        """The driver's own exposure and gain readings, unconverted (its units are its own)."""
        assert self._capture is not None
        readings = (("exposure", float(self._capture.get(cv2.CAP_PROP_EXPOSURE))),
                    ("gain", float(self._capture.get(cv2.CAP_PROP_GAIN))))
        return Exposure(origin="driver", driver_units=readings)

    def close(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()


class VideoFileSource:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"video:{self.path.name}"
        self._capture: cv2.VideoCapture | None = None

    def open(self) -> None:
        if not self.path.is_file():
            raise HardwareUnavailableError(f"camera: video file not found: {self.path}")
        capture = cv2.VideoCapture(str(self.path))
        ok, _ = capture.read() if capture.isOpened() else (False, None)
        if not ok:
            capture.release()
            raise HardwareUnavailableError(f"camera: {self.path} is not a readable video")
        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._capture = capture

    def read(self, want_full: bool) -> Frame:
        if self._capture is None:
            raise RuntimeError("video is not open")
        ok, frame = self._capture.read()
        if not ok:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        if not ok or frame is None:
            raise RuntimeError(f"{self.path.name}: no frame after rewinding")
        return Frame(frame, frame.copy() if want_full else None, source=self.name)

    def close(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()


class ImageFolderSource:
    """Images in name order; each read returns the next one, so a folder plays like a video.

    The position survives a reopen, so an unreadable file is skipped after one failure instead of
    failing the same way on every pass.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.name = f"folder:{self.folder.name}"
        self._paths: list[Path] = []
        self._position = 0

    def open(self) -> None:
        if not self.folder.is_dir():
            raise HardwareUnavailableError(f"camera: image folder not found: {self.folder}")
        self._paths = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self._paths:
            raise HardwareUnavailableError(f"camera: no images in {self.folder}")

    def read(self, want_full: bool) -> Frame:
        if not self._paths:
            raise RuntimeError("image folder is not open")
        path = self._paths[self._position % len(self._paths)]
        self._position += 1
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise RuntimeError(f"{path.name} cannot be read")
        return Frame(image, image if want_full else None, source=f"{self.name}/{path.name}")

    def close(self) -> None:
        self._paths = []
