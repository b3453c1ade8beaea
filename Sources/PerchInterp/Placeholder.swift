import PerchCore
