app_name = "addons"

urlpatterns = []
