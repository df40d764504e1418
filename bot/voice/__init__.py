"""Voice, channel-free: texts read aloud (`speaker.Speaker`: piper voices, espeak-ng, a county's
recordings) as OGG/Opus voice notes (`audio`), and voice notes understood (`transcription`:
faster-whisper or an OpenAI-compatible server). Its libraries are the `voice` extra; nothing here
is imported unless voice is configured (`setup.py`)."""
