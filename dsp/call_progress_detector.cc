// placeholder: filled in by the call_progress_detector work
