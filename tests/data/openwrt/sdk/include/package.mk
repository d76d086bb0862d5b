# A stand-in for OpenWrt's package.mk (see ../rules.mk): BuildPackage
# makes targets prepare, compile and install (into DESTDIR) from the
# recipe's Build/Prepare, Build/Compile and Package/NAME/install.
PKG_BUILD_DIR:=$(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
PKG_JOBS:=-j2

define BuildPackage
prepare:
	$$(Build/Prepare)
compile: prepare
	$$(Build/Compile)
install: compile
	$$(call Package/$(1)/install,$$(DESTDIR))
endef
