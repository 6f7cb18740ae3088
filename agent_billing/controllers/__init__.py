from . import usage_api
