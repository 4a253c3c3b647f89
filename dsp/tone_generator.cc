// placeholder: filled in by the tone_generator work
