// placeholder: filled in by the dtmf_detector work
