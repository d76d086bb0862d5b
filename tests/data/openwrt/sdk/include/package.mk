# A stand-in for OpenWrt's package.mk (see ../rules.mk): BuildPackage
# makes targets prepare, compile and install (into DESTDIR) from the
# recipe's Build/Prepare, Build/Compile and Package/NAME/install, and
# scripts, which writes Package/NAME/postinst and prerm into
# DESTDIR/CONTROL as a package would carry them.
PKG_BUILD_DIR:=$(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
PKG_JOBS:=-j2

define BuildPackage
prepare:
	$$(Build/Prepare)
compile: prepare
	$$(Build/Compile)
install: compile
	$$(call Package/$(1)/install,$$(DESTDIR))
scripts:
	$$(shell mkdir -p $$(DESTDIR)/CONTROL)$$(file >$$(DESTDIR)/CONTROL/postinst,$$(Package/$(1)/postinst))$$(file >$$(DESTDIR)/CONTROL/prerm,$$(Package/$(1)/prerm))
endef
