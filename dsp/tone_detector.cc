// placeholder: filled in by the tone_detector work
