let audio: AudioContext | undefined;

/**
 * A short two-note chime, synthesised so no sound file has to be fetched (or cached for offline).
 * Browsers start audio only after the member has interacted with the page; before that it is silent.
 */
export function playChime() {
  audio ??= new AudioContext();
  if (audio.state === "suspended") void audio.resume();
  const start = audio.currentTime;
  [880, 1318.5].forEach((frequency, i) => {
    const at = start + i * 0.12;
    const osc = audio!.createOscillator();
    const gain = audio!.createGain();
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.15, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
    osc.connect(gain).connect(audio!.destination);
    osc.start(at);
    osc.stop(at + 0.32);
  });
}
