"""macOS App Nap: turned off through Anki's own helper where it has one;
elsewhere (this machine) there is none and nothing happens."""


def test_no_helper_here_so_nothing_happens(anki):
    assert anki.driver("from aqt._macos_helper import macos_helper\n"
                       "result = macos_helper is None")
    assert anki.driver("result = ac.host.config()['disableAppNap']") is True
    assert anki.driver("import sys\n"
                       "gui = sys.modules[type(ac).__module__]\n"
                       "gui.keep_out_of_app_nap(ac.host.log)\n"
                       "result = 'done'") == "done"


def test_a_helper_that_can_is_asked_to(anki):
    calls = anki.driver("""
import sys
import aqt._macos_helper as helper
gui = sys.modules[type(ac).__module__]
calls = []
class Helper:
    def disable_appnap(self):
        calls.append("disabled")
saved, helper.macos_helper = helper.macos_helper, Helper()
try:
    gui.keep_out_of_app_nap(ac.host.log)
    helper.macos_helper = object()  # an older helper without the method
    gui.keep_out_of_app_nap(ac.host.log)
finally:
    helper.macos_helper = saved
result = calls
""")
    assert calls == ["disabled"]
