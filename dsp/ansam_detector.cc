// placeholder: filled in by the ansam_detector work
