"""espeak-ng, the voice of the languages without a piper voice (Kurmanji, Tigrinya): the
libespeak-ng that the `espeakng-loader` package bundles (1.52, with Tigrinya, which Debian's 1.51
lacks), called through ctypes in synchronous mode. The library keeps one global state: one
synthesis at a time (`_lock`)."""
from __future__ import annotations

import ctypes
import threading
from typing import Any

import espeakng_loader
import numpy as np

from bot.voice.audio import Pcm

_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: samples through the callback, no sound device
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_OK = 0
_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.c_void_p)


class Espeak:
    """Speaks any language espeak-ng has a voice for (`speaks`)."""

    def __init__(self) -> None:
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                                ctypes.c_int]
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint,
                                           ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                           ctypes.c_void_p, ctypes.c_void_p]
        self.rate = int(self._lib.espeak_Initialize(
            _SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0))
        self._chunks: list[np.ndarray] = []
        self._callback = _Callback(self._collect)  # kept: the library holds only the pointer
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lock = threading.Lock()
        self._voices: dict[str, bool] = {}

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if wav and count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # go on

    def speaks(self, language: str) -> bool:
        with self._lock:
            if language not in self._voices:
                self._voices[language] = \
                    self._lib.espeak_SetVoiceByName(language.encode()) == _OK
            return self._voices[language]

    def speak(self, text: str, language: str) -> Pcm:
        """`text` read by espeak-ng's voice of `language` (which `speaks` must have said exists)."""
        data = text.encode()
        with self._lock:
            self._chunks = []
            if self._lib.espeak_SetVoiceByName(language.encode()) != _OK:
                raise LookupError(f"espeak-ng has no voice for {language}")
            self._lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8,
                                   None, None)
            self._lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return Pcm(samples, self.rate)
