from . import test_fan_out
